/**
 * The built service (`dist/src/main.js`, made by `npm ci` / `npm run build`) in a child process, as
 * `npm start` runs it: started with the settings given, its banner read for the URL, stopped by a
 * signal.
 */
import { type ChildProcessWithoutNullStreams, spawn } from "node:child_process";
import path from "node:path";
import { ROOT } from "./build";

export { ensureBuilt, ROOT } from "./build";

const MAIN = path.join(ROOT, "dist/src/main.js");

export interface ServiceProcess {
  child: ChildProcessWithoutNullStreams;
  url: string;
  adminKey: string | null;
  /** Everything written to stdout so far. */
  output: () => string;
  /** Everything written to stderr (the JSON log) so far. */
  log: () => string;
  /** Resolves with the exit code (null: killed by a signal) once the process has exited. */
  exited: Promise<number | null>;
}

/** Starts the service with `env` (besides PATH and HOME) and resolves once it printed its URL. */
export function startService(env: Record<string, string>): Promise<ServiceProcess> {
  const child = spawn(process.execPath, [MAIN], { cwd: ROOT, env: { PATH: process.env.PATH, HOME: process.env.HOME, PORT: "0", ...env } });
  let stdout = "";
  let stderr = "";
  child.stderr.on("data", (chunk: Buffer) => (stderr += chunk.toString()));
  const exited = new Promise<number | null>((resolve) => child.on("exit", (code) => resolve(code)));
  return new Promise((resolve, reject) => {
    // The first start of an embedded database takes long on a busy machine (a minute has been seen).
    const timer = setTimeout(() => reject(new Error(`no URL printed:\n${stdout}\n${stderr}`)), 120_000);
    void exited.then((code) => reject(new Error(`exited with ${code}:\n${stdout}\n${stderr}`)));
    child.stdout.on("data", (chunk: Buffer) => {
      stdout += chunk.toString();
      const url = /Qualify GraphQL API: (\S+)/.exec(stdout)?.[1];
      // The whole banner is written at once; the key line follows the URL when there is one.
      if (url && stdout.endsWith("\n")) {
        clearTimeout(timer);
        resolve({
          child,
          url,
          adminKey: /^\s+(qk_\S+)$/m.exec(stdout)?.[1] ?? null,
          output: () => stdout,
          log: () => stderr,
          exited,
        });
      }
    });
  });
}

/** Sends SIGTERM and resolves with the exit code. */
export function stopService(service: ServiceProcess): Promise<number | null> {
  service.child.kill("SIGTERM");
  return service.exited;
}

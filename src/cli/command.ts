/**
 * What every `qualify` command is given and returns. Commands write only to the streams they are
 * given (never `console`), so tests run them with captured output.
 */
import { readFile } from "node:fs/promises";
import { resolve } from "node:path";

/** Where a command writes: `process.stdout`, or anything with `write` in tests. */
export interface Output {
  write(text: string): unknown;
}

/** The streams and directory a command runs with. */
export interface CliIo {
  stdout: Output;
  stderr: Output;
  /** The directory relative paths are read from. */
  cwd: string;
  /** The settings the command reads (`qualify keys`); default: the process's environment. */
  env?: Record<string, string | undefined>;
}

/**
 * Exit codes: 0 all good; 1 the command found problems (or the service refused the change); 2 it
 * could not run as asked (usage, settings, a refused API key); 3 the service or database could not
 * be reached (worth retrying).
 */
export const EXIT_OK = 0;
export const EXIT_PROBLEMS = 1;
export const EXIT_USAGE = 2;
export const EXIT_UNAVAILABLE = 3;

/** A command's failure: one line for stderr and the exit code it ends with. */
export class CliError extends Error {
  constructor(
    readonly exitCode: number,
    message: string,
  ) {
    super(message);
    this.name = "CliError";
  }
}

/** One entry of the command table in `main.ts`. */
export interface Command {
  name: string;
  /** `check FILE…` */
  usage: string;
  /** One line for `qualify help`. */
  summary: string;
  /** Runs with the arguments after the command's name; resolves to the exit code. */
  run(args: string[], io: CliIo): Promise<number>;
}

/** Reads a text file relative to `io.cwd`; on failure says so on stderr and returns null. */
export async function readText(io: CliIo, file: string): Promise<string | null> {
  try {
    return await readFile(resolve(io.cwd, file), "utf8");
  } catch (err) {
    io.stderr.write(`qualify: cannot read ${file}: ${(err as NodeJS.ErrnoException).code ?? String(err)}\n`);
    return null;
  }
}

/** Splits `--flags` from file arguments; unknown flags are reported and make it return null. */
export function parseArgs(args: readonly string[], flags: readonly string[], io: CliIo, usage: string): { files: string[]; flags: Set<string> } | null {
  const files: string[] = [];
  const set = new Set<string>();
  for (const arg of args) {
    if (!arg.startsWith("--")) files.push(arg);
    else if (flags.includes(arg)) set.add(arg);
    else {
      io.stderr.write(`qualify: unknown option ${arg}\nusage: qualify ${usage}\n`);
      return null;
    }
  }
  if (files.length === 0) {
    io.stderr.write(`usage: qualify ${usage}\n`);
    return null;
  }
  return { files, flags: set };
}

/** `3 files` / `1 file`. */
export function count(n: number, noun: string): string {
  return `${n} ${noun}${n === 1 ? "" : "s"}`;
}

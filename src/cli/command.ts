/**
 * What every `qualify` command is given and returns. Commands write only to the streams they are
 * given (never `console`), so tests run them with captured output.
 */
import { readdir, readFile, stat } from "node:fs/promises";
import { join, relative, resolve } from "node:path";

/** Where a command writes: `process.stdout`, or anything with `write` in tests. */
export interface Output {
  write(text: string): unknown;
  /** A terminal (`process.stderr.isTTY`): progress is drawn as a bar rather than printed as lines. */
  isTTY?: boolean;
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

/** Scoring models are `*.rules` files; their tests `*.rules.test`. */
export const MODEL_SUFFIX = ".rules";
export const TEST_SUFFIX = ".rules.test";

/**
 * Exit codes: 0 all good; 1 the command found problems (or the service refused the change); 2 it
 * could not run as asked (usage, settings, a refused API key); 3 the service or database could not
 * be reached (worth retrying).
 */
export const EXIT_OK = 0;
export const EXIT_PROBLEMS = 1;
export const EXIT_USAGE = 2;
export const EXIT_UNAVAILABLE = 3;
/** `qualify publish`: the version is published and active, but its rescore stopped midway (the service finishes it in the background). */
export const EXIT_RESCORE_INCOMPLETE = 4;

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
  /** `check FILE|DIR…` */
  usage: string;
  /** One line for `qualify help`. */
  summary: string;
  /** Runs with the arguments after the command's name; resolves to the exit code. */
  run(args: string[], io: CliIo): Promise<number>;
}

/** What a file error says after `qualify: FILE: `, the same for every command. */
export function fileProblem(err: unknown): string {
  switch ((err as NodeJS.ErrnoException).code) {
    case "ENOENT":
    case "ENOTDIR":
      return "no such file";
    case "EISDIR":
      return "is a directory";
    case "EACCES":
    case "EPERM":
      return "permission denied";
    default:
      return (err as NodeJS.ErrnoException).code ?? String(err);
  }
}

/** Says on stderr, in one line, that `file` cannot be used: `qualify: FILE: no such file`. */
export function reportFile(io: CliIo, file: string, problem: string): void {
  io.stderr.write(`qualify: ${file}: ${problem}\n`);
}

/** Reads a text file relative to `io.cwd`; on failure says so on stderr and returns null. */
async function readText(io: CliIo, file: string): Promise<string | null> {
  try {
    return await readFile(resolve(io.cwd, file), "utf8");
  } catch (err) {
    reportFile(io, file, fileProblem(err));
    return null;
  }
}

/**
 * Reads every file, reporting each one that cannot be read; null when any could not (the
 * command then does nothing: it could not run as asked).
 */
export async function readAll(io: CliIo, files: readonly string[]): Promise<Map<string, string> | null> {
  const texts = new Map<string, string>();
  let unreadable = false;
  for (const file of files) {
    const text = await readText(io, file);
    if (text === null) unreadable = true;
    else texts.set(file, text);
  }
  return unreadable ? null : texts;
}

/** Every file below `dir` whose name ends with `suffix`, sorted, skipping `node_modules` and dot-directories. */
async function filesUnder(dir: string, suffix: string): Promise<string[]> {
  const found: string[] = [];
  for (const entry of await readdir(dir, { withFileTypes: true })) {
    if (entry.name.startsWith(".") || entry.name === "node_modules") continue;
    const path = join(dir, entry.name);
    if (entry.isDirectory()) found.push(...(await filesUnder(path, suffix)));
    else if (entry.name.endsWith(suffix)) found.push(path);
  }
  return found.sort();
}

/** Whether `path` is a directory (false when it is not there: reading it will say so). */
async function isDirectory(path: string): Promise<boolean> {
  try {
    return (await stat(path)).isDirectory();
  } catch {
    return false;
  }
}

/**
 * The files the arguments stand for: a directory stands for every `*<suffix>` file below it
 * (paths relative to `io.cwd` when they are below it), any other argument for the file
 * `asFile(arg)`, which need not exist (reading it reports that). A directory without such a file
 * is reported on stderr, and the result is then null.
 */
async function expandArgs(io: CliIo, args: readonly string[], suffix: string, asFile: (arg: string) => string = (arg) => arg): Promise<string[] | null> {
  const files: string[] = [];
  let ok = true;
  for (const arg of args) {
    const absolute = resolve(io.cwd, arg);
    if (!(await isDirectory(absolute))) {
      files.push(asFile(arg));
      continue;
    }
    const below = await filesUnder(absolute, suffix);
    if (below.length === 0) {
      reportFile(io, arg, `no *${suffix} file in this directory`);
      ok = false;
    }
    files.push(...below.map((p) => relative(io.cwd, p) || p));
  }
  return ok ? files : null;
}

/** Splits `--flags` from file arguments; unknown flags are reported and make it return null. */
function parseArgs(args: readonly string[], flags: readonly string[], io: CliIo, usage: string): { files: string[]; flags: Set<string> } | null {
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

/**
 * What a file command starts with: its options, and the text of every file its arguments stand
 * for (see `expandArgs`). Null when it cannot run as asked (already reported): a bad option, no
 * argument, a directory without such a file, or a file that cannot be read.
 */
export async function readFileArgs(
  args: readonly string[],
  io: CliIo,
  command: { usage: string; flags?: readonly string[]; suffix: string; asFile?: (arg: string) => string },
): Promise<{ texts: Map<string, string>; flags: Set<string> } | null> {
  const parsed = parseArgs(args, command.flags ?? [], io, command.usage);
  if (parsed === null) return null;
  const files = await expandArgs(io, parsed.files, command.suffix, command.asFile);
  const texts = files && (await readAll(io, [...new Set(files)]));
  return texts && { texts, flags: parsed.flags };
}

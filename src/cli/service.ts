/**
 * What the commands that work through a running service share (`publish`, `preview`, `pull`,
 * and `keys` in its remote mode): the client from `QUALIFY_URL` and `QUALIFY_API_KEY`, their
 * arguments (`FILE` and `--flag [value]` options), and one way to end on a failure (one line on
 * stderr, the exit code of `command.ts`).
 */
import { ConfigError, loadRemoteService } from "../config";
import { CliError, type CliIo, EXIT_USAGE } from "./command";
import { GraphQLClient } from "./graphql.client";

/**
 * The client of the service the settings name; without them a `CliError` (usage) saying what to set.
 *
 * @param forbidden what a FORBIDDEN answer means for this command (which scope it needs)
 */
export function serviceClient(io: CliIo, command: string, forbidden: string): GraphQLClient {
  const remote = loadRemoteService(io.env);
  if (remote === null) {
    throw new CliError(EXIT_USAGE, `qualify ${command} works through a running service: set QUALIFY_URL (its GraphQL URL, e.g. http://127.0.0.1:4000/graphql) and QUALIFY_API_KEY`);
  }
  return new GraphQLClient(remote.url, remote.apiKey, forbidden);
}

/** Says why a command failed, in one line on stderr, and returns its exit code (settings: 2). Anything else is rethrown. */
export function reportFailure(io: CliIo, err: unknown): number {
  if (err instanceof ConfigError) {
    io.stderr.write(`qualify: ${err.message.replace(/\n\s*/g, " ")}\n`);
    return EXIT_USAGE;
  }
  if (!(err instanceof CliError)) throw err;
  io.stderr.write(`qualify: ${err.message}\n`);
  return err.exitCode;
}

/** A command's arguments: its files, the options that take a value, the switches given. */
export interface ParsedArgs {
  files: string[];
  values: Map<string, string>;
  switches: Set<string>;
}

/**
 * Splits `args` into files, `--option value` pairs and `--switch`es; null (after printing usage)
 * on an unknown option, an option without its value, or a number of files out of `[min, max]`.
 */
export function parseArgs(
  args: readonly string[],
  io: CliIo,
  spec: { usage: string; values?: readonly string[]; switches?: readonly string[]; files: [min: number, max: number] },
): ParsedArgs | null {
  const parsed: ParsedArgs = { files: [], values: new Map(), switches: new Set() };
  const refuse = (why: string) => {
    io.stderr.write(`qualify: ${why}\nusage: qualify ${spec.usage}\n`);
    return null;
  };
  for (let i = 0; i < args.length; i++) {
    const arg = args[i];
    if (!arg.startsWith("--") || arg === "-") parsed.files.push(arg);
    else if (spec.switches?.includes(arg)) parsed.switches.add(arg);
    else if (spec.values?.includes(arg)) {
      const value = args[++i];
      if (value === undefined) return refuse(`${arg} needs a value`);
      parsed.values.set(arg, value);
    } else return refuse(`unknown option ${arg}`);
  }
  const [min, max] = spec.files;
  if (parsed.files.length < min || parsed.files.length > max) return refuse(parsed.files.length < min ? "a file is needed" : "too many files");
  return parsed;
}

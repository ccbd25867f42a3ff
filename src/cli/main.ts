/**
 * The `qualify` command line: `bin/qualify.js` calls `main(process.argv.slice(2))`.
 *
 * Commands are one table; each lives in `commands/` and writes only to the streams it is given.
 * Exit codes: 0 all good, 1 problems found (model errors, failing tests, unformatted files; a key
 * the service will not revoke), 2 the command could not run as asked (unknown command or option,
 * unreadable file, a refused API key), 3 the service or its database could not be reached,
 * 4 (`publish`) published, but the rescore stopped midway (the service finishes it).
 */
import { EXIT_OK, EXIT_USAGE, type CliIo, type Command } from "./command";
import { checkCommand } from "./commands/check";
import { fmtCommand } from "./commands/fmt";
import { keysCommand } from "./commands/keys";
import { lspCommand } from "./commands/lsp";
import { previewCommand } from "./commands/preview";
import { publishCommand } from "./commands/publish";
import { pullCommand } from "./commands/pull";
import { testCommand } from "./commands/test";

const helpCommand: Command = {
  name: "help",
  usage: "help",
  summary: "show this help",
  async run(_args: string[], io: CliIo): Promise<number> {
    const width = Math.max(...COMMANDS.map((c) => c.usage.length));
    io.stdout.write("usage: qualify <command> [arguments]\n\ncommands:\n");
    for (const c of COMMANDS) io.stdout.write(`  ${c.usage.padEnd(width)}  ${c.summary}\n`);
    io.stdout.write("\nexit codes: 0 all good, 1 problems found, 2 the command could not run as asked, 3 the service could not be reached, 4 published but the rescore stopped midway\n");
    io.stdout.write("publish, preview, pull (and keys): a running service, QUALIFY_URL and QUALIFY_API_KEY\n");
    io.stdout.write("model tests: docs/testing-models.md\n");
    return EXIT_OK;
  },
};

/**
 * The command table. To add a command, write `commands/<name>.ts` exporting a `Command` and list
 * it here (e.g. the service's `keysCommand` from `./commands/keys` for `qualify keys …`).
 */
const COMMANDS: readonly Command[] = [
  checkCommand,
  testCommand,
  fmtCommand,
  lspCommand,
  previewCommand,
  publishCommand,
  pullCommand,
  keysCommand,
  helpCommand,
];

const processIo = (): CliIo => ({ stdout: process.stdout, stderr: process.stderr, cwd: process.cwd() });

/**
 * Runs one `qualify` command and resolves to its exit code.
 *
 * @param argv the arguments after `qualify`, e.g. `["check", "model.rules"]`
 * @param io where to write and which directory paths are relative to (the process's by default)
 * @example await main(["test", "examples/"]) // 0 when every model test passes
 */
export async function main(argv: string[], io: CliIo = processIo()): Promise<number> {
  const [name, ...args] = argv;
  if (name === "--help" || name === "-h") return helpCommand.run([], io);
  if (name === undefined) {
    await helpCommand.run([], io);
    return EXIT_USAGE;
  }
  const command = COMMANDS.find((c) => c.name === name);
  if (command === undefined) {
    io.stderr.write(`qualify: unknown command "${name}"; run qualify help\n`);
    return EXIT_USAGE;
  }
  return command.run(args, io);
}

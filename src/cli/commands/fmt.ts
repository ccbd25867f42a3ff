/**
 * `qualify fmt [--check] FILE…`: rewrites models in canonical layout, keeping their comments
 * (see `src/dsl/format.ts`). With `--check`, writes nothing and lists the files that would change.
 */
import { writeFile } from "node:fs/promises";
import { resolve } from "node:path";
import { formatModel } from "../../dsl/format";
import { count, EXIT_OK, EXIT_PROBLEMS, EXIT_USAGE, parseArgs, readText, type CliIo, type Command } from "../command";
import { formatDiagnostic } from "./check";

/** `qualify fmt`. */
export const fmtCommand: Command = {
  name: "fmt",
  usage: "fmt [--check] FILE…",
  summary: "lay models out canonically, comments kept (--check: list the files that are not, exit 1)",
  async run(args: string[], io: CliIo): Promise<number> {
    const parsed = parseArgs(args, ["--check"], io, this.usage);
    if (parsed === null) return EXIT_USAGE;
    const checkOnly = parsed.flags.has("--check");
    let unreadable = false;
    let broken = 0;
    const changed: string[] = [];
    for (const file of parsed.files) {
      const source = await readText(io, file);
      if (source === null) {
        unreadable = true;
        continue;
      }
      const { formatted, diagnostics } = formatModel(source);
      if (formatted === null) {
        broken++;
        for (const d of diagnostics) if (d.severity === "error") io.stderr.write(`${formatDiagnostic(file, d)}\n`);
        io.stderr.write(`${file}: not formatted: it has syntax errors\n`);
        continue;
      }
      if (formatted === source) continue;
      changed.push(file);
      if (checkOnly) {
        io.stdout.write(`${file}\n`);
      } else {
        await writeFile(resolve(io.cwd, file), formatted, "utf8");
        io.stdout.write(`formatted ${file}\n`);
      }
    }
    if (checkOnly && changed.length > 0) io.stderr.write(`${count(changed.length, "file")} not formatted: run qualify fmt ${changed.join(" ")}\n`);
    if (unreadable) return EXIT_USAGE;
    return broken > 0 || (checkOnly && changed.length > 0) ? EXIT_PROBLEMS : EXIT_OK;
  },
};

/**
 * `qualify fmt [--check] FILE|DIR…`: rewrites models in canonical layout, keeping their comments
 * (see `src/dsl/format.ts`). With `--check`, writes nothing and lists the files that would change.
 * A directory stands for every `*.rules` file below it.
 */
import { writeFile } from "node:fs/promises";
import { resolve } from "node:path";
import { formatModel } from "../../dsl/format";
import { count, EXIT_OK, EXIT_PROBLEMS, EXIT_USAGE, fileProblem, MODEL_SUFFIX, readFileArgs, reportFile, type CliIo, type Command } from "../command";
import { formatDiagnostic } from "./check";

/** `qualify fmt`. */
export const fmtCommand: Command = {
  name: "fmt",
  usage: "fmt [--check] FILE|DIR…",
  summary: "lay models out canonically, comments kept (--check: list the files that are not, exit 1)",
  async run(args: string[], io: CliIo): Promise<number> {
    const read = await readFileArgs(args, io, { usage: this.usage, flags: ["--check"], suffix: MODEL_SUFFIX });
    if (read === null) return EXIT_USAGE;
    const checkOnly = read.flags.has("--check");
    let broken = 0;
    let unwritable = false;
    const changed: string[] = [];
    for (const [file, source] of read.texts) {
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
        try {
          await writeFile(resolve(io.cwd, file), formatted, "utf8");
          io.stdout.write(`formatted ${file}\n`);
        } catch (err) {
          reportFile(io, file, fileProblem(err));
          unwritable = true;
        }
      }
    }
    if (checkOnly && changed.length > 0) io.stderr.write(`${count(changed.length, "file")} not formatted: run qualify fmt ${changed.join(" ")}\n`);
    if (unwritable) return EXIT_USAGE;
    return broken > 0 || (checkOnly && changed.length > 0) ? EXIT_PROBLEMS : EXIT_OK;
  },
};

/** `qualify check FILE|DIR…`: every diagnostic of each model, as `file:line:col: severity CODE message`. */
import { compile } from "../../dsl/compiler";
import type { Diagnostic } from "../../dsl/diagnostics";
import { count, EXIT_OK, EXIT_PROBLEMS, EXIT_USAGE, MODEL_SUFFIX, readFileArgs, type CliIo, type Command } from "../command";

/** `file:line:col: error CODE message`, the shape editors and CI annotate from. */
export function formatDiagnostic(file: string, d: Diagnostic): string {
  return `${file}:${d.line}:${d.column}: ${d.severity} ${d.code} ${d.message}`;
}

/** `qualify check`. */
export const checkCommand: Command = {
  name: "check",
  usage: "check FILE|DIR…",
  summary: "report the errors and warnings of scoring models (a directory: every *.rules below it; exit 1 on any error)",
  async run(args: string[], io: CliIo): Promise<number> {
    const read = await readFileArgs(args, io, { usage: this.usage, suffix: MODEL_SUFFIX });
    if (read === null) return EXIT_USAGE;
    let errors = 0;
    let warnings = 0;
    for (const [file, source] of read.texts) {
      for (const d of compile(source).diagnostics) {
        io.stdout.write(`${formatDiagnostic(file, d)}\n`);
        if (d.severity === "error") errors++;
        else warnings++;
      }
    }
    io.stdout.write(`${count(read.texts.size, "file")} checked: ${count(errors, "error")}, ${count(warnings, "warning")}\n`);
    return errors > 0 ? EXIT_PROBLEMS : EXIT_OK;
  },
};

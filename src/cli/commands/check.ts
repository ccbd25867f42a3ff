/** `qualify check FILE…`: every diagnostic of each model, as `file:line:col: severity CODE message`. */
import { compile } from "../../dsl/compiler";
import type { Diagnostic } from "../../dsl/diagnostics";
import { count, EXIT_OK, EXIT_PROBLEMS, EXIT_USAGE, parseArgs, readText, type CliIo, type Command } from "../command";

/** `file:line:col: error CODE message`, the shape editors and CI annotate from. */
export function formatDiagnostic(file: string, d: Diagnostic): string {
  return `${file}:${d.line}:${d.column}: ${d.severity} ${d.code} ${d.message}`;
}

/** `qualify check`. */
export const checkCommand: Command = {
  name: "check",
  usage: "check FILE…",
  summary: "report the errors and warnings of scoring models (exit 1 on any error)",
  async run(args: string[], io: CliIo): Promise<number> {
    const parsed = parseArgs(args, [], io, this.usage);
    if (parsed === null) return EXIT_USAGE;
    let errors = 0;
    let warnings = 0;
    let unreadable = false;
    for (const file of parsed.files) {
      const source = await readText(io, file);
      if (source === null) {
        unreadable = true;
        continue;
      }
      for (const d of compile(source).diagnostics) {
        io.stdout.write(`${formatDiagnostic(file, d)}\n`);
        if (d.severity === "error") errors++;
        else warnings++;
      }
    }
    io.stdout.write(`${count(parsed.files.length, "file")} checked: ${count(errors, "error")}, ${count(warnings, "warning")}\n`);
    if (unreadable) return EXIT_USAGE;
    return errors > 0 ? EXIT_PROBLEMS : EXIT_OK;
  },
};

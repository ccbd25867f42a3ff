/**
 * `qualify preview FILE [--top N] [--json]`: what publishing a model would do to the leads of a
 * running service (`QUALIFY_URL`, `QUALIFY_API_KEY` with the admin scope), writing nothing: per
 * stage the leads now, with the model (forward only, as a publish moves them) and from scratch
 * (each lead qualified afresh: a raised threshold shows there), then the top movers with their
 * new stage and the rules whose points changed. Exit 1 when the model has errors (its
 * diagnostics as `file:line:col: …` on stderr).
 */
import { count, EXIT_OK, EXIT_PROBLEMS, EXIT_USAGE, readAll, type CliIo, type Command } from "../command";
import { BULK_REQUEST_TIMEOUT_MS } from "../graphql.client";
import { PREVIEW_MODEL, printDiagnostics, type RemotePreview } from "../model-remote";
import { parseArgs, reportFailure, serviceClient } from "../service";

const USAGE = "preview FILE [--top N] [--json]";
const FORBIDDEN = "QUALIFY_API_KEY is not an admin key (previewing a model needs the admin scope)";
const DEFAULT_TOP = 10;
const MAX_TOP = 100;

/** Rows of cells, left-aligned first column, the others right-aligned. */
function table(rows: string[][]): string {
  const widths = rows[0].map((_, i) => Math.max(...rows.map((r) => r[i].length)));
  return rows.map((r) => r.map((cell, i) => (i === 0 ? cell.padEnd(widths[i]) : cell.padStart(widths[i]))).join("  ").trimEnd()).join("\n");
}

const signed = (n: number): string => (n > 0 ? `+${n}` : String(n));

function printPreview(io: CliIo, file: string, preview: RemotePreview): void {
  const out: string[] = [`preview of ${file}: ${count(preview.leadsChanged, "lead")} would change`, ""];
  out.push(table([["stage", "now", "with model", "from scratch"], ...preview.stages.map((s) => [s.stage, String(s.now), String(s.withModel), String(s.fromScratch)])]));
  out.push("");
  if (preview.topMovers.length === 0) out.push("no lead's score or stage changes");
  else {
    out.push("top movers (largest change first):");
    for (const m of preview.topMovers) {
      const stage = m.stageNow === m.stageWithModel ? m.stageNow : `${m.stageNow} → ${m.stageWithModel}`;
      const rules = m.rulesChanged.length > 0 ? `; rules changed: ${m.rulesChanged.join(", ")}` : "";
      out.push(`  ${m.lead.email}  ${m.scoreNow} → ${m.scoreWithModel} (${signed(m.change)})  ${stage}${rules}`);
    }
  }
  io.stdout.write(`${out.join("\n")}\n`);
}

/** `qualify preview`. */
export const previewCommand: Command = {
  name: "preview",
  usage: USAGE,
  summary: "what publishing a model would do to the service's leads: stages now / with model / from scratch, top movers and their rules (writes nothing)",
  async run(args: string[], io: CliIo): Promise<number> {
    const parsed = parseArgs(args, io, { usage: USAGE, values: ["--top"], switches: ["--json"], files: [1, 1] });
    if (parsed === null) return EXIT_USAGE;
    const topText = parsed.values.get("--top") ?? String(DEFAULT_TOP);
    const top = /^\d{1,3}$/.test(topText) ? Number(topText) : NaN;
    if (!(top >= 1 && top <= MAX_TOP)) {
      io.stderr.write(`qualify: --top must be a whole number from 1 to ${MAX_TOP} (got "${topText}")\nusage: qualify ${USAGE}\n`);
      return EXIT_USAGE;
    }
    const [file] = parsed.files;
    const texts = await readAll(io, [file]);
    if (texts === null) return EXIT_USAGE;
    try {
      const client = serviceClient(io, "preview", FORBIDDEN);
      const { previewModel } = await client.request(PREVIEW_MODEL, { source: texts.get(file) as string, first: top }, BULK_REQUEST_TIMEOUT_MS);
      const errors = printDiagnostics(io.stderr, file, previewModel.diagnostics);
      if (parsed.switches.has("--json")) io.stdout.write(`${JSON.stringify({ file, ...previewModel }, null, 2)}\n`);
      if (errors > 0) {
        io.stderr.write(`qualify: ${file}: ${count(errors, "error")}: nothing to preview\n`);
        return EXIT_PROBLEMS;
      }
      if (!parsed.switches.has("--json")) printPreview(io, file, previewModel);
      return EXIT_OK;
    } catch (err) {
      return reportFailure(io, err);
    }
  },
};

/**
 * `qualify pull [FILE] [--json]`: the active model's source from a running service (`QUALIFY_URL`,
 * `QUALIFY_API_KEY` with the read scope), written to FILE or, without one, to stdout; which
 * version it is on stderr. With `--json`, stdout is one JSON object (version, source, when, by
 * whom, comment), and FILE is still written when given. Exit 1 when no model is published.
 */
import { writeFile } from "node:fs/promises";
import { resolve } from "node:path";
import { CliError, EXIT_OK, EXIT_PROBLEMS, EXIT_USAGE, fileProblem, reportFile, type CliIo, type Command } from "../command";
import { ACTIVE_MODEL } from "../model-remote";
import { parseArgs, reportFailure, serviceClient } from "../service";

const USAGE = "pull [FILE] [--json]";
const FORBIDDEN = "QUALIFY_API_KEY lacks the read scope (pulling the model needs it)";

/** `qualify pull`. */
export const pullCommand: Command = {
  name: "pull",
  usage: USAGE,
  summary: "write the service's active model to FILE (or stdout), e.g. to commit it or diff it against your copy",
  async run(args: string[], io: CliIo): Promise<number> {
    const parsed = parseArgs(args, io, { usage: USAGE, switches: ["--json"], files: [0, 1] });
    if (parsed === null) return EXIT_USAGE;
    const [file] = parsed.files;
    const json = parsed.switches.has("--json");
    try {
      const { activeModel } = await serviceClient(io, "pull", FORBIDDEN).request(ACTIVE_MODEL, {});
      if (activeModel === null) throw new CliError(EXIT_PROBLEMS, "the service has no published model");
      if (file !== undefined) {
        try {
          await writeFile(resolve(io.cwd, file), activeModel.source, "utf8");
        } catch (err) {
          reportFile(io, file, fileProblem(err));
          return EXIT_USAGE;
        }
      }
      if (json) io.stdout.write(`${JSON.stringify(activeModel, null, 2)}\n`);
      else if (file === undefined) io.stdout.write(activeModel.source);
      const by = activeModel.publishedBy ? ` by ${activeModel.publishedBy}` : "";
      io.stderr.write(`pulled version ${activeModel.version} (published ${activeModel.publishedAt}${by})${file === undefined ? "" : ` to ${file}`}\n`);
      return EXIT_OK;
    } catch (err) {
      return reportFailure(io, err);
    }
  },
};

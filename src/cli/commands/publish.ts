/**
 * `qualify publish FILE [--comment TEXT] [--json]`: publishes a model to a running service
 * (`QUALIFY_URL`, `QUALIFY_API_KEY` with the admin scope), for scoring as code in CI. The service
 * checks the model first (its diagnostics as `file:line:col: …` on stderr; any error: nothing is
 * published, exit 1); while the publish rescores every lead, its progress is on stderr (a bar on a
 * terminal, plain lines otherwise); then one line, or with `--json` one JSON object, on stdout.
 * Exit codes: 0 published, 1 the model has errors, 2 usage / a refused key, 3 unreachable,
 * 4 published but the rescore stopped midway (the service finishes it in the background: do
 * not publish again).
 */
import { setTimeout as delay } from "node:timers/promises";
import {
  count,
  EXIT_OK,
  EXIT_PROBLEMS,
  EXIT_RESCORE_INCOMPLETE,
  EXIT_USAGE,
  readAll,
  type CliIo,
  type Command,
} from "../command";
import { BULK_REQUEST_TIMEOUT_MS, type GraphQLClient, ServiceError } from "../graphql.client";
import { CHECK_BEFORE_PUBLISH, PUBLISH_MODEL, printDiagnostics, type RemoteDiagnostic, RESCORE_STATUS } from "../model-remote";
import { ProgressDisplay } from "../progress";
import { parseArgs, reportFailure, serviceClient } from "../service";

const USAGE = "publish FILE [--comment TEXT] [--json]";
const FORBIDDEN = "QUALIFY_API_KEY is not an admin key (publishing a model needs the admin scope)";
/** How often the rescore's progress is read while the publish runs. */
export const PROGRESS_POLL_MS = 250;

/**
 * Runs `publish` while showing the progress of the rescore of any version above `before` (the
 * version active when the command started), read from `rescoreStatus`.
 */
async function watchingRescore<T>(client: GraphQLClient, publish: Promise<T>, before: number, progress: ProgressDisplay): Promise<T> {
  let settled = false;
  const ended = publish.then(
    () => undefined,
    () => undefined,
  );
  const poll = (async () => {
    while (!settled) {
      await Promise.race([delay(PROGRESS_POLL_MS), ended]);
      if (settled) return;
      try {
        const { rescoreStatus } = await client.request(RESCORE_STATUS, {});
        if (!settled && rescoreStatus && rescoreStatus.version > before) progress.show(rescoreStatus);
      } catch {
        // Progress only: the publish's own answer says how it went (and why, if it failed).
      }
    }
  })();
  try {
    return await publish;
  } finally {
    settled = true;
    await poll;
  }
}

/** `--json`'s object: what was published, or why nothing was. */
interface PublishReport {
  file: string;
  published: boolean;
  version: number | null;
  rescoreComplete: boolean;
  leadsRescored: number | null;
  stageChanges: number | null;
  publishedAt: string | null;
  publishedBy: string | null;
  comment: string | null;
  diagnostics: RemoteDiagnostic[];
}

async function publish(io: CliIo, file: string, source: string, comment: string | null, json: boolean): Promise<number> {
  const client = serviceClient(io, "publish", FORBIDDEN);
  const report: PublishReport = {
    file,
    published: false,
    version: null,
    rescoreComplete: false,
    leadsRescored: null,
    stageChanges: null,
    publishedAt: null,
    publishedBy: null,
    comment: null,
    diagnostics: [],
  };
  const done = (code: number) => {
    if (json) io.stdout.write(`${JSON.stringify(report, null, 2)}\n`);
    return code;
  };
  const { checkModel, rescoreStatus: before } = await client.request(CHECK_BEFORE_PUBLISH, { source });
  report.diagnostics = checkModel;
  const errors = printDiagnostics(io.stderr, file, checkModel);
  if (errors > 0) {
    io.stderr.write(`qualify: ${file}: ${count(errors, "error")}: nothing published, the active model is unchanged\n`);
    return done(EXIT_PROBLEMS);
  }
  const progress = new ProgressDisplay(io.stderr);
  try {
    const { publishModel } = await watchingRescore(client, client.request(PUBLISH_MODEL, { source, comment }, BULK_REQUEST_TIMEOUT_MS), before?.version ?? 0, progress);
    const { rescoreStatus } = await client.request(RESCORE_STATUS, {});
    if (rescoreStatus?.version === publishModel.model.version) progress.finish(rescoreStatus);
    else progress.interrupt();
    Object.assign(report, { published: true, rescoreComplete: true, leadsRescored: publishModel.leadsRescored, stageChanges: publishModel.stageChanges, ...publishModel.model });
    if (!json) {
      const note = publishModel.model.comment ? ` ("${publishModel.model.comment}")` : "";
      io.stdout.write(`published ${file} as version ${publishModel.model.version}${note}: ${count(publishModel.leadsRescored, "lead")} rescored, ${count(publishModel.stageChanges, "stage change")}\n`);
    }
    return done(EXIT_OK);
  } catch (err) {
    progress.interrupt();
    if (!(err instanceof ServiceError)) throw err;
    if (err.code === "RULES_INVALID") {
      // Checked just before; the service's compiler is the judge all the same.
      report.diagnostics = (err.extensions.diagnostics as RemoteDiagnostic[] | undefined) ?? [];
      printDiagnostics(io.stderr, file, report.diagnostics);
    } else if (err.code === "RESCORE_INCOMPLETE") {
      Object.assign(report, { published: true, version: (err.extensions.version as number | undefined) ?? null });
      io.stderr.write(`qualify: ${err.message}\n`);
      return done(EXIT_RESCORE_INCOMPLETE);
    }
    io.stderr.write(`qualify: ${err.message}\n`);
    return done(err.exitCode);
  }
}

/** `qualify publish`. */
export const publishCommand: Command = {
  name: "publish",
  usage: USAGE,
  summary: "publish a model to the service at QUALIFY_URL (admin key in QUALIFY_API_KEY), showing the rescore's progress (exit 1: the model has errors)",
  async run(args: string[], io: CliIo): Promise<number> {
    const parsed = parseArgs(args, io, { usage: USAGE, values: ["--comment"], switches: ["--json"], files: [1, 1] });
    if (parsed === null) return EXIT_USAGE;
    const [file] = parsed.files;
    const texts = await readAll(io, [file]);
    if (texts === null) return EXIT_USAGE;
    try {
      return await publish(io, file, texts.get(file) as string, parsed.values.get("--comment") ?? null, parsed.switches.has("--json"));
    } catch (err) {
      return reportFailure(io, err);
    }
  },
};

/**
 * The GraphQL documents `qualify publish`, `preview` and `pull` send, and the service's
 * diagnostics printed the way `qualify check` prints the local compiler's
 * (`file:line:col: severity CODE message`).
 */
import type { Severity } from "../dsl/diagnostics";
import { formatDiagnostic } from "./commands/check";
import type { Output } from "./command";
import { gql } from "./graphql.client";

/** A diagnostic as the service answers it (`Diagnostic`). */
export interface RemoteDiagnostic {
  severity: "ERROR" | "WARNING";
  code: string;
  message: string;
  line: number;
  column: number;
  endLine: number;
  endColumn: number;
}

const DIAGNOSTIC_FIELDS = "severity code message line column endLine endColumn";
const STATUS_FIELDS = "version state done total startedAt finishedAt";

/** `rescoreStatus` as the service answers it. */
export interface RemoteRescoreStatus {
  version: number;
  state: "RUNNING" | "DONE";
  done: number;
  total: number;
  startedAt: string;
  finishedAt: string | null;
}

export const CHECK_BEFORE_PUBLISH = gql<{ checkModel: RemoteDiagnostic[]; rescoreStatus: RemoteRescoreStatus | null }, { source: string }>(
  `query CheckBeforePublish($source: String!) { checkModel(source: $source) { ${DIAGNOSTIC_FIELDS} } rescoreStatus { ${STATUS_FIELDS} } }`,
);

export const RESCORE_STATUS = gql<{ rescoreStatus: RemoteRescoreStatus | null }>(`query RescoreStatus { rescoreStatus { ${STATUS_FIELDS} } }`);

export interface PublishedModel {
  model: { version: number; publishedAt: string; publishedBy: string | null; comment: string | null };
  leadsRescored: number;
  stageChanges: number;
}

export const PUBLISH_MODEL = gql<{ publishModel: PublishedModel }, { source: string; comment: string | null }>(
  `mutation PublishModel($source: String!, $comment: String) {
     publishModel(source: $source, comment: $comment) { model { version publishedAt publishedBy comment } leadsRescored stageChanges }
   }`,
);

export interface RemotePreview {
  diagnostics: RemoteDiagnostic[];
  leadsChanged: number;
  stages: Array<{ stage: string; now: number; withModel: number; fromScratch: number }>;
  topMovers: Array<{
    lead: { id: string; email: string };
    scoreNow: number;
    scoreWithModel: number;
    change: number;
    stageNow: string;
    stageWithModel: string;
    rulesChanged: string[];
  }>;
}

export const PREVIEW_MODEL = gql<{ previewModel: RemotePreview }, { source: string; first: number }>(
  `mutation PreviewModel($source: String!, $first: Int!) {
     previewModel(source: $source) {
       diagnostics { ${DIAGNOSTIC_FIELDS} }
       leadsChanged
       stages { stage now withModel fromScratch }
       topMovers(first: $first) { lead { id email } scoreNow scoreWithModel change stageNow stageWithModel rulesChanged }
     }
   }`,
);

export interface ActiveModel {
  version: number;
  source: string;
  publishedAt: string;
  publishedBy: string | null;
  comment: string | null;
}

export const ACTIVE_MODEL = gql<{ activeModel: ActiveModel | null }>(`query ActiveModel { activeModel { version source publishedAt publishedBy comment } }`);

/** Prints each diagnostic as `file:line:col: error CODE message`; the number of errors among them. */
export function printDiagnostics(out: Output, file: string, diagnostics: readonly RemoteDiagnostic[]): number {
  for (const d of diagnostics) {
    const severity: Severity = d.severity === "ERROR" ? "error" : "warning";
    out.write(`${formatDiagnostic(file, { ...d, severity })}\n`);
  }
  return diagnostics.filter((d) => d.severity === "ERROR").length;
}

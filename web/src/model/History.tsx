/**
 * The published versions, newest first (who, when, comment, which version a rollback republished),
 * a diff of any two, and a rollback: the source of an earlier version published again as a new
 * version (`republishModel`), after a confirmation with an optional comment.
 */
import { type FormEvent, useState } from "react";
import type { ModelPageHistoryQuery } from "../gql/graphql";
import { DiffView } from "./DiffView";

export type Version = ModelPageHistoryQuery["models"]["edges"][number]["node"];

export interface HistoryProps {
  versions: readonly Version[];
  totalCount: number;
  hasMore: boolean;
  loading: boolean;
  error: string | null;
  onMore(): void;
  /** Admin keys only; absent: no rollback offered. */
  onRollback?: (version: number, comment: string) => Promise<boolean>;
  /** True while a publish or rollback runs. */
  busy: boolean;
}

const when = (iso: string): string => new Date(iso).toLocaleString();

export function History({ versions, totalCount, hasMore, loading, error, onMore, onRollback, busy }: HistoryProps) {
  const [left, setLeft] = useState<number | null>(null);
  const [right, setRight] = useState<number | null>(null);
  const [confirming, setConfirming] = useState<number | null>(null);
  const [comment, setComment] = useState("");
  const newest = versions[0]?.version ?? null;
  const older = versions[1]?.version ?? newest;
  const a = left ?? older;
  const b = right ?? newest;
  const before = versions.find((v) => v.version === a);
  const after = versions.find((v) => v.version === b);

  async function rollback(event: FormEvent) {
    event.preventDefault();
    if (confirming === null || !onRollback) return;
    // A failed rollback keeps the form open; the reason is shown above the table.
    if (!(await onRollback(confirming, comment))) return;
    setConfirming(null);
    setComment("");
  }

  return (
    <section aria-labelledby="history-title" className="history">
      <h2 id="history-title">History</h2>
      {error && (
        <p role="alert" className="error">
          {error}
        </p>
      )}
      <table aria-label="Published versions">
        <thead>
          <tr>
            <th scope="col">Version</th>
            <th scope="col">Published</th>
            <th scope="col">By</th>
            <th scope="col">Comment</th>
            {onRollback && <th scope="col">Rollback</th>}
          </tr>
        </thead>
        <tbody>
          {versions.map((v) => (
            <tr key={v.id}>
              <th scope="row">
                {v.version}
                {v.active && <span className="badge"> active</span>}
              </th>
              <td>{when(v.publishedAt)}</td>
              <td>{v.publishedBy ?? "the service (first start)"}</td>
              <td>
                {v.comment ?? <span className="help">none</span>}
                {v.republishedFrom !== null && v.republishedFrom !== undefined && <span className="help"> (rollback to version {v.republishedFrom})</span>}
              </td>
              {onRollback && (
                <td>
                  {!v.active && (
                    <button type="button" className="secondary" disabled={busy} onClick={() => setConfirming(v.version)}>
                      Roll back to version {v.version}
                    </button>
                  )}
                </td>
              )}
            </tr>
          ))}
        </tbody>
      </table>
      <p className="help">
        {versions.length} of {totalCount} {totalCount === 1 ? "version" : "versions"}
        {hasMore && (
          <>
            {" "}
            <button type="button" className="secondary" disabled={loading} onClick={onMore}>
              Show older versions
            </button>
          </>
        )}
      </p>
      {confirming !== null && onRollback && (
        <form className="confirm" aria-label={`Roll back to version ${confirming}`} onSubmit={rollback}>
          <p>
            Publish the source of version {confirming} again, as a new version? Every lead is rescored to it. Your draft in the editor is kept.
          </p>
          <label htmlFor="rollback-comment">Comment for the rollback</label>
          <input id="rollback-comment" value={comment} maxLength={1000} onChange={(e) => setComment(e.target.value)} />
          <div className="actions">
            <button type="submit" disabled={busy}>
              Confirm rollback to version {confirming}
            </button>
            <button type="button" className="secondary" onClick={() => setConfirming(null)}>
              Cancel
            </button>
          </div>
        </form>
      )}
      {versions.length > 1 && (
        <div className="compare">
          <h3>Compare two versions</h3>
          <VersionSelect id="diff-from" label="From version" versions={versions} value={a} onChange={setLeft} />{" "}
          <VersionSelect id="diff-to" label="to version" versions={versions} value={b} onChange={setRight} />
          {before && after && <DiffView label={`Changes from version ${before.version} to version ${after.version}`} before={before.source} after={after.source} />}
        </div>
      )}
    </section>
  );
}

function VersionSelect({ id, label, versions, value, onChange }: { id: string; label: string; versions: readonly Version[]; value: number | null; onChange(v: number): void }) {
  return (
    <>
      <label htmlFor={id}>{label}</label>{" "}
      <select id={id} value={value ?? ""} onChange={(e) => onChange(Number(e.target.value))}>
        {versions.map((v) => (
          <option key={v.id} value={v.version}>
            {v.version}
          </option>
        ))}
      </select>
    </>
  );
}

/**
 * Two versions' sources line by line (the `diff` package): removed lines as <del>, added ones as
 * <ins>, each also said in words for screen readers, with the count of each above.
 */
import { diffLines } from "diff";
import { useMemo } from "react";

export interface DiffViewProps {
  label: string;
  before: string;
  after: string;
}

interface DiffLine {
  kind: "added" | "removed" | "same";
  text: string;
}

function lines(value: string): string[] {
  const parts = value.split("\n");
  if (parts[parts.length - 1] === "") parts.pop();
  return parts;
}

export function DiffView({ label, before, after }: DiffViewProps) {
  const rows = useMemo<DiffLine[]>(
    () => diffLines(before, after).flatMap((change) => lines(change.value).map((text) => ({ kind: change.added ? "added" : change.removed ? "removed" : "same", text }))),
    [before, after],
  );
  const added = rows.filter((r) => r.kind === "added").length;
  const removed = rows.filter((r) => r.kind === "removed").length;
  return (
    <section aria-label={label} className="diff">
      <p>
        {added === 0 && removed === 0
          ? "The two versions have the same source."
          : `${added} ${added === 1 ? "line" : "lines"} added, ${removed} ${removed === 1 ? "line" : "lines"} removed.`}
      </p>
      <div className="diff-lines code">
        {rows.map((row, i) =>
          row.kind === "added" ? (
            <ins key={i} className="diff-line diff-added">
              <span className="sr-only">Added: </span>
              <span aria-hidden="true">+ </span>
              {row.text}
            </ins>
          ) : row.kind === "removed" ? (
            <del key={i} className="diff-line diff-removed">
              <span className="sr-only">Removed: </span>
              <span aria-hidden="true">- </span>
              {row.text}
            </del>
          ) : (
            <span key={i} className="diff-line">
              <span aria-hidden="true">{"  "}</span>
              {row.text}
            </span>
          ),
        )}
      </div>
    </section>
  );
}

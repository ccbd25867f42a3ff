/** The lead's timeline (see `mergeTimeline`), newest first, with a button for older interactions. */
import { formatDateTime } from "./format";
import type { TimelineEntry } from "./timeline";

function describe(entry: TimelineEntry): string {
  if (entry.kind === "reset") return "Engagement reset: interactions before this earn nothing.";
  if (entry.kind === "stage") {
    const t = entry.transition;
    const move = t.from ? `Moved from ${t.from} to ${t.to}` : `Entered the funnel at ${t.to}`;
    if (t.cause === "RULE") return `${move} by the rule ${t.rule ?? ""}`.trim();
    return `${move} by ${t.actor ?? "hand"}${t.reason ? `: “${t.reason}”` : ""}`;
  }
  const i = entry.interaction;
  const what = [i.type, i.target].filter(Boolean).join(" ");
  const points = i.points === 0 ? "no points now" : `${i.points > 0 ? "+" : ""}${i.points} points now`;
  return `${what}${i.source ? ` (from ${i.source})` : ""}: ${points}`;
}

export interface TimelineProps {
  entries: TimelineEntry[];
  hasOlder: boolean;
  loadingOlder: boolean;
  onOlder(): void;
}

export function Timeline({ entries, hasOlder, loadingOlder, onOlder }: TimelineProps) {
  return (
    <section aria-labelledby="timeline-title" className="panel">
      <h2 id="timeline-title">Timeline</h2>
      {entries.length === 0 && <p>Nothing has happened yet.</p>}
      <ol className="timeline" aria-label="Timeline">
        {entries.map((entry) => (
          <li key={entry.key} className={`event event-${entry.kind}`}>
            <time dateTime={entry.at}>{formatDateTime(entry.at)}</time> <span>{describe(entry)}</span>
          </li>
        ))}
      </ol>
      {hasOlder && (
        <button type="button" className="secondary" onClick={onOlder} disabled={loadingOlder}>
          {loadingOlder ? "Loading…" : "Show older"}
        </button>
      )}
    </section>
  );
}

/**
 * A lead's score over time: a stepped line (a score holds until its next change) drawn to now,
 * with a summary in words and the same points as a table for anyone who does not read charts.
 * The history is read in pages of 100 (oldest first), up to 1,000 changes for the chosen period.
 */
import type { ChartConfiguration } from "chart.js";
import { useCallback, useEffect, useMemo, useState } from "react";
import { describeError, request } from "../api/client";
import { ChartCanvas } from "../charts/ChartCanvas";
import { LineChart } from "../charts/line";
import type { LeadScoreHistoryQuery } from "../gql/graphql";
import { formatDateTime } from "./format";
import { SCORE_HISTORY } from "./operations";
import { RetryableError } from "../components/RetryableError";

type Point = NonNullable<LeadScoreHistoryQuery["lead"]>["scoreHistory"]["edges"][number]["node"];

const MAX_POINTS = 1000;
const CAUSES: Record<Point["cause"], string> = {
  CREATED: "created",
  DECAY: "points decayed",
  EXPIRY: "points expired",
  IMPORTED: "history began",
  INTERACTION: "interaction",
  MODEL: "model published",
  PROFILE: "profile changed",
  RESET: "engagement reset",
};

/** Every score point of `leadId` (at most MAX_POINTS), oldest first, and how many there are in all. */
async function readHistory(leadId: string): Promise<{ points: Point[]; total: number }> {
  const points: Point[] = [];
  let after: string | null = null;
  let total = 0;
  do {
    const data: LeadScoreHistoryQuery = await request(SCORE_HISTORY, { id: leadId, after });
    if (!data.lead) break;
    const history: NonNullable<LeadScoreHistoryQuery["lead"]>["scoreHistory"] = data.lead.scoreHistory;
    total = history.totalCount;
    points.push(...history.edges.map((e) => e.node));
    after = history.pageInfo.hasNextPage ? history.pageInfo.endCursor : null;
  } while (after && points.length < MAX_POINTS);
  return { points, total };
}

const dateFormat = new Intl.DateTimeFormat(undefined, { dateStyle: "short" });

export function summarize(points: readonly Point[], scoreNow: number): string {
  if (points.length === 0) return `No score history is kept for this lead yet; its score is ${scoreNow}.`;
  const first = points[0];
  const highest = points.reduce((best, p) => (p.score > best.score ? p : best), first);
  const lowest = points.reduce((least, p) => (p.score < least.score ? p : least), first);
  return (
    `Score ${scoreNow} now, ${first.score} on ${formatDateTime(first.at)}; ${points.length} change${points.length === 1 ? "" : "s"}; ` +
    `highest ${highest.score} (${formatDateTime(highest.at)}), lowest ${lowest.score} (${formatDateTime(lowest.at)}).`
  );
}

export function ScoreHistory({ leadId, scoreNow, version }: { leadId: string; scoreNow: number; /** changes when the lead does */ version: string }) {
  const [history, setHistory] = useState<{ points: Point[]; total: number } | null>(null);
  const [error, setError] = useState<string | null>(null);

  const load = useCallback(() => {
    readHistory(leadId)
      .then((h) => {
        setHistory(h);
        setError(null);
      })
      .catch((err: unknown) => setError(`The score history could not be read: ${describeError(err)}`));
  }, [leadId]);
  useEffect(load, [load, version]);

  const config = useMemo<ChartConfiguration<"line">>(() => {
    const points = history?.points ?? [];
    const data = points.map((p) => ({ x: Date.parse(p.at), y: p.score }));
    // The score holds until now: the line ends at the present.
    if (data.length) data.push({ x: Math.max(Date.now(), data[data.length - 1].x), y: scoreNow });
    return {
      type: "line",
      data: { datasets: [{ label: "Score", data, stepped: "before", borderColor: "#1f5fbf", backgroundColor: "rgba(31,95,191,0.12)", fill: true, pointRadius: 2 }] },
      options: {
        animation: false,
        maintainAspectRatio: false,
        parsing: false,
        scales: {
          x: { type: "linear", ticks: { maxTicksLimit: 8, callback: (value) => dateFormat.format(new Date(Number(value))) } },
          y: { type: "linear", title: { display: true, text: "Score" } },
        },
        plugins: {
          tooltip: { callbacks: { title: (items) => (items[0] ? formatDateTime(new Date(items[0].parsed.x ?? 0).toISOString()) : "") } },
        },
      },
    };
  }, [history, scoreNow]);

  const summary = history ? summarize(history.points, scoreNow) : "";
  return (
    <section aria-labelledby="history-title" className="panel">
      <h2 id="history-title">Score history</h2>
      <RetryableError message={error} onRetry={load} />
      {!history && !error && <p aria-busy="true">Loading the score history…</p>}
      {history && (
        <>
          <p id="history-summary">{summary}</p>
          {history.total > history.points.length && (
            <p className="notice">
              The first {history.points.length} of {history.total} changes are drawn.
            </p>
          )}
          {history.points.length > 0 && <ChartCanvas chart={LineChart} config={config} label={`Score history chart. ${summary}`} />}
          <details>
            <summary>Score history as a table</summary>
            <table aria-label="Score history">
              <thead>
                <tr>
                  <th scope="col">When</th>
                  <th scope="col">Why</th>
                  <th scope="col" className="num">Score</th>
                  <th scope="col" className="num">Fit</th>
                  <th scope="col" className="num">Engagement</th>
                </tr>
              </thead>
              <tbody>
                {history.points.map((p, n) => (
                  <tr key={`${p.at}-${n}`}>
                    <td>{formatDateTime(p.at)}</td>
                    <td>{CAUSES[p.cause]}</td>
                    <td className="num">{p.score}</td>
                    <td className="num">{p.fit}</td>
                    <td className="num">{p.engagement}</td>
                  </tr>
                ))}
              </tbody>
            </table>
          </details>
        </>
      )}
    </section>
  );
}

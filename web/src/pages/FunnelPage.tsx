/**
 * The funnel: for the leads created in a period (or all), how many are in each stage, how many
 * ever reached it, and the conversion to the next; as it stands now or as it stood at a chosen
 * instant ("As of", compared with now). A bar chart and the same figures as a table. The choices
 * live in the URL, so a link shows the same funnel.
 */
import type { ChartConfiguration } from "chart.js";
import { type FormEvent, useCallback, useEffect, useMemo, useState } from "react";
import { useSearchParams } from "react-router";
import { describeError, request } from "../api/client";
import { BarChart } from "../charts/bar";
import { ChartCanvas } from "../charts/ChartCanvas";
import { choiceParams, type FunnelChoice, funnelVariables, localDateTime, readChoice } from "../funnel/funnel-query";
import { FUNNEL } from "../funnel/operations";
import type { FunnelPageQuery } from "../gql/graphql";
import { RetryableError } from "../components/RetryableError";

const percent = new Intl.NumberFormat(undefined, { style: "percent", maximumFractionDigits: 1 });
const instant = new Intl.DateTimeFormat(undefined, { dateStyle: "medium", timeStyle: "medium" });

export default function FunnelPage() {
  const [params, setParams] = useSearchParams();
  const paramsKey = params.toString();
  const choice = useMemo(() => readChoice(new URLSearchParams(paramsKey)), [paramsKey]);
  const [draft, setDraft] = useState<FunnelChoice>(choice);
  const [data, setData] = useState<FunnelPageQuery | null>(null);
  const [shownAsOf, setShownAsOf] = useState<string>("");
  const [problems, setProblems] = useState<string[]>([]);
  const [error, setError] = useState<string | null>(null);
  const [busy, setBusy] = useState(false);

  useEffect(() => setDraft(choice), [choice]);

  const load = useCallback(async () => {
    const checked = funnelVariables(choice);
    if ("problems" in checked) {
      setProblems(checked.problems);
      return;
    }
    setProblems([]);
    setBusy(true);
    try {
      setData(await request(FUNNEL, checked.variables));
      setShownAsOf(choice.asOf);
      setError(null);
    } catch (err) {
      setError(`The funnel could not be loaded: ${describeError(err)}`);
    } finally {
      setBusy(false);
    }
  }, [choice]);
  useEffect(() => void load(), [load]);

  function submit(event: FormEvent) {
    event.preventDefault();
    const checked = funnelVariables(draft);
    if ("problems" in checked) {
      setProblems(checked.problems);
      return;
    }
    // The same choice again still asks again (the funnel moves with time).
    if (choiceParams(draft).toString() === paramsKey) void load();
    else setParams(choiceParams(draft));
  }

  const asOfDate = shownAsOf ? localDateTime(shownAsOf) : null;
  const moment = asOfDate ? `as of ${instant.format(asOfDate)}` : "now";
  const rows = useMemo(() => data?.chosen ?? [], [data]);
  const nowByStage = useMemo(() => new Map((data?.now ?? []).map((r) => [r.stage, r.leads])), [data]);

  const config = useMemo<ChartConfiguration<"bar">>(() => {
    const datasets: ChartConfiguration<"bar">["data"]["datasets"] = [
      { label: `In stage ${moment}`, data: rows.map((r) => r.leads), backgroundColor: "#1f5fbf" },
      { label: `Reached ${moment}`, data: rows.map((r) => r.reached), backgroundColor: "#9db8e3" },
    ];
    if (data?.now) datasets.push({ label: "In stage now", data: rows.map((r) => nowByStage.get(r.stage) ?? 0), backgroundColor: "#1b7a3d" });
    return {
      type: "bar",
      data: { labels: rows.map((r) => r.stage), datasets },
      options: { animation: false, maintainAspectRatio: false, scales: { y: { beginAtZero: true, grace: "10%", ticks: { precision: 0 } } } },
    };
  }, [rows, nowByStage, data, moment]);

  const summary = rows.length
    ? `Funnel ${moment}: ${rows.map((r) => `${r.stage} ${r.leads}${data?.now ? ` (now ${nowByStage.get(r.stage) ?? 0})` : ""}`).join(", ")}.`
    : "";

  return (
    <section className="funnel-page" aria-labelledby="funnel-title">
      <h1 id="funnel-title">Funnel</h1>
      <form className="funnel-form" aria-label="Funnel period" onSubmit={submit}>
        <div className="field">
          <label htmlFor="funnel-since">Leads created from</label>
          <input id="funnel-since" type="date" value={draft.since} onChange={(e) => setDraft({ ...draft, since: e.target.value })} />
        </div>
        <div className="field">
          <label htmlFor="funnel-until">through</label>
          <input id="funnel-until" type="date" value={draft.until} onChange={(e) => setDraft({ ...draft, until: e.target.value })} />
        </div>
        <div className="field">
          <label htmlFor="funnel-as-of">As of</label>
          <input id="funnel-as-of" type="datetime-local" step={1} value={draft.asOf} onChange={(e) => setDraft({ ...draft, asOf: e.target.value })} aria-describedby="funnel-as-of-help" />
        </div>
        <button type="submit">Show funnel</button>
        <button type="button" className="secondary" onClick={() => setParams(new URLSearchParams())}>
          All leads, now
        </button>
        <p id="funnel-as-of-help" className="help">
          Empty dates: every lead. “As of”: the stages as they stood at that instant (empty: now), in your time zone.
        </p>
      </form>
      {problems.length > 0 && (
        <ul role="alert" className="error">
          {problems.map((p) => (
            <li key={p}>{p}</li>
          ))}
        </ul>
      )}
      <RetryableError message={error} onRetry={() => void load()} />
      {data && (
        <>
          <p role="status">{summary || "No stage to show: the model has no funnel."}</p>
          {rows.length > 0 && <ChartCanvas chart={BarChart} config={config} label={`Funnel chart. ${summary}`} height={300} />}
          <table aria-label="Funnel" aria-busy={busy}>
            <thead>
              <tr>
                <th scope="col">Stage</th>
                <th scope="col" className="num">
                  In stage {moment}
                </th>
                <th scope="col" className="num">
                  Reached {moment}
                </th>
                <th scope="col" className="num">
                  Conversion to next
                </th>
                {data.now && (
                  <th scope="col" className="num">
                    In stage now
                  </th>
                )}
              </tr>
            </thead>
            <tbody>
              {rows.map((r) => (
                <tr key={r.stage}>
                  <th scope="row">{r.stage}</th>
                  <td className="num">{r.leads}</td>
                  <td className="num">{r.reached}</td>
                  <td className="num">{r.conversionToNext === null || r.conversionToNext === undefined ? "–" : percent.format(r.conversionToNext)}</td>
                  {data.now && <td className="num">{nowByStage.get(r.stage) ?? 0}</td>}
                </tr>
              ))}
            </tbody>
          </table>
        </>
      )}
    </section>
  );
}

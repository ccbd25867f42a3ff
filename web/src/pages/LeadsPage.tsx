/**
 * Leads: the table with its filters, sort and pages, all kept in the URL (a reload or a shared
 * link shows the same table), and live: a scored lead's row changes in place, and a lead that
 * comes to match the filters (say it just became MQL) appears without a reload (the page is asked
 * again, at most every 1.5 s however busy the stream). The time from the answer to the painted
 * table is measured (`performance` entry "leads:render") for the README's Performance section.
 */
import { useCallback, useEffect, useLayoutEffect, useMemo, useRef, useState } from "react";
import { useLocation, useNavigate, useSearchParams } from "react-router";
import { describeError, request } from "../api/client";
import { useSubscription } from "../api/live";
import type { LeadRowFragment, LeadsTableQuery } from "../gql/graphql";
import { LeadFilters } from "../leads/LeadFilters";
import { describeSort, leadsQueryParams, leadsVariables, type LeadsQuery, mayMatch, PAGE_SIZES, type PageSize, parseLeadsQuery, type Sort } from "../leads/leads-query";
import { LeadsTable } from "../leads/LeadsTable";
import { LEADS, LEADS_SCORED, LEADS_STAGE_CHANGED } from "../leads/operations";
import { stagesOf, useModelShape } from "../leads/use-model-shape";
import { useSession } from "../session";
import { RetryableError } from "../components/RetryableError";

/** A loaded page, with the place it was asked for (the range line describes the rows shown, not the URL's next page still loading). */
type Page = Omit<LeadsTableQuery["leads"], "edges"> & { rows: LeadRowFragment[]; number: number; size: number };

/** Previous pages' cursors, kept in the history entry (Back and "Previous page" both work). */
interface PagingState {
  cursors?: Array<string | null>;
}

const REFRESH_GAP_MS = 1500;
const CHANGED_MARK_MS = 2500;

export default function LeadsPage() {
  const session = useSession();
  const [params] = useSearchParams();
  const location = useLocation();
  const navigate = useNavigate();
  const { model, error: modelError } = useModelShape();
  const paramsKey = params.toString();
  // The parsed state changes only when the URL's query does.
  const { query, problems: urlProblems } = useMemo(() => parseLeadsQuery(new URLSearchParams(paramsKey)), [paramsKey]);
  const groups = model?.groups ?? [];
  const withGroups = groups.length > 0;

  const [page, setPage] = useState<Page | null>(null);
  const [error, setError] = useState<string | null>(null);
  const [busy, setBusy] = useState(false);
  const [changed, setChanged] = useState<ReadonlySet<string>>(new Set());
  const [liveNote, setLiveNote] = useState<string | null>(null);

  const latest = useRef({ query, withGroups });
  latest.current = { query, withGroups };
  const shownIds = useRef<ReadonlySet<string>>(new Set());
  shownIds.current = new Set(page?.rows.map((r) => r.id));
  const sequence = useRef(0);
  const renderStart = useRef<number | null>(null);

  const load = useCallback(async (reason: "query" | "live") => {
    const ticket = ++sequence.current;
    const { query: q, withGroups: g } = latest.current;
    if (reason === "query") setBusy(true);
    const requested = performance.now();
    try {
      const data = await request(LEADS, leadsVariables(q, g));
      if (ticket !== sequence.current) return;
      const { edges, ...rest } = data.leads;
      if (reason === "query") {
        renderStart.current = performance.now();
        performance.mark("leads:answered", { startTime: renderStart.current, detail: { rows: edges.length, requestMs: renderStart.current - requested } });
      }
      setPage({ ...rest, rows: edges.map((e) => e.node), number: q.page, size: q.size });
      setError(null);
    } catch (err) {
      if (ticket === sequence.current) setError(`The leads could not be loaded: ${describeError(err)}`);
    } finally {
      if (ticket === sequence.current) setBusy(false);
    }
  }, []);

  // The first load waits for the model's shape only to know whether to ask for group points.
  const shapeKnown = model !== null || modelError !== null;
  useEffect(() => {
    if (shapeKnown) void load("query");
  }, [paramsKey, withGroups, shapeKnown, load]);

  // Render time: from the answer to the DOM committed ("leads:commit", React's part) and to the
  // frame that shows it ("leads:render").
  useLayoutEffect(() => {
    if (renderStart.current !== null && page) performance.measure("leads:commit", { start: renderStart.current, end: performance.now() });
  }, [page]);
  useEffect(() => {
    const start = renderStart.current;
    if (start === null || !page) return;
    renderStart.current = null;
    requestAnimationFrame(() =>
      setTimeout(() => {
        performance.measure("leads:render", { start, end: performance.now(), detail: { rows: page.rows.length } });
      }, 0),
    );
  }, [page]);

  // Live updates: rows change in place; a lead that may now belong (or no longer does) asks for the page again.
  const refresh = useRef<{ timer: ReturnType<typeof setTimeout> | null; last: number }>({ timer: null, last: 0 });
  const scheduleRefresh = useCallback(() => {
    const state = refresh.current;
    if (state.timer) return;
    const wait = Math.max(300, state.last + REFRESH_GAP_MS - Date.now());
    state.timer = setTimeout(() => {
      state.timer = null;
      state.last = Date.now();
      void load("live");
    }, wait);
  }, [load]);
  useEffect(() => () => void (refresh.current.timer && clearTimeout(refresh.current.timer)), []);

  const onLive = useCallback(
    (lead: LeadRowFragment) => {
      const shown = shownIds.current.has(lead.id);
      const matches = mayMatch(latest.current.query, lead);
      if (shown) {
        setPage((current) => {
          const at = current ? current.rows.findIndex((r) => r.id === lead.id) : -1;
          if (!current || at < 0) return current;
          const rows = current.rows.slice();
          rows[at] = { ...rows[at], ...lead, groups: lead.groups ?? rows[at].groups };
          return { ...current, rows };
        });
      }
      if (shown || matches) {
        setChanged((ids) => new Set(ids).add(lead.id));
        setTimeout(() => setChanged((ids) => {
          const next = new Set(ids);
          next.delete(lead.id);
          return next;
        }), CHANGED_MARK_MS);
        setLiveNote(`${lead.email}: score ${lead.score}, ${lead.stage} (${new Date().toLocaleTimeString()})`);
      }
      if (shown !== matches) scheduleRefresh();
    },
    [scheduleRefresh],
  );
  useSubscription(session.key, LEADS_SCORED, { withGroups }, (data) => onLive(data.leadScored.lead));
  useSubscription(session.key, LEADS_STAGE_CHANGED, { withGroups }, (data) => onLive(data.leadStageChanged.lead));

  const go = useCallback(
    (next: LeadsQuery, state?: PagingState) => {
      const search = leadsQueryParams(next).toString();
      navigate({ pathname: "/leads", search: search ? `?${search}` : "" }, { state });
    },
    [navigate],
  );
  const firstPage = (changes: Partial<LeadsQuery>) => go({ ...query, ...changes, after: null, page: 1 });
  const onSort = (sort: Sort) => {
    const same = sort.field === query.sort.field && (sort.field !== "GROUP" || (query.sort.field === "GROUP" && query.sort.group === sort.group));
    // A new column starts with its natural order: highest first for numbers, A to Z for emails.
    const direction = same ? (query.direction === "DESC" ? "ASC" : "DESC") : sort.field === "EMAIL" ? "ASC" : "DESC";
    firstPage({ sort, direction });
  };
  const cursors = (location.state as PagingState | null)?.cursors ?? [];
  const nextPage = () => {
    if (!page?.pageInfo.endCursor) return;
    go({ ...query, after: page.pageInfo.endCursor, page: query.page + 1 }, { cursors: [...cursors, query.after] });
  };
  const previousPage = () => {
    const back = cursors.slice(0, -1);
    const after = cursors[cursors.length - 1] ?? null;
    go({ ...query, after, page: after ? query.page - 1 : 1 }, { cursors: back });
  };

  const stages = stagesOf(model, query.stages);
  const from = page ? (page.number - 1) * page.size + 1 : 0;
  const to = page ? from + page.rows.length - 1 : 0;

  return (
    <section className="leads-page" aria-labelledby="leads-title">
      <h1 id="leads-title">Leads</h1>
      {modelError && <p className="error">{modelError}</p>}
      {urlProblems.length > 0 && (
        <div role="alert" className="notice">
          <p>Part of this link could not be read, and is left out:</p>
          <ul>
            {urlProblems.map((p) => (
              <li key={p}>{p}</li>
            ))}
          </ul>
        </div>
      )}
      <LeadFilters query={query} stages={stages} groups={groups} onApply={(changes) => firstPage(changes)} />
      <div className="table-bar">
        <p role="status" className="range-line">
          {page
            ? page.totalCount === 0
              ? "No lead matches these filters."
              : `${from}–${to} of ${page.totalCount} leads, ${describeSort(query)}`
            : busy
              ? "Loading leads…"
              : ""}
        </p>
        <label className="inline">
          Leads per page{" "}
          <select value={query.size} onChange={(e) => firstPage({ size: Number(e.target.value) as PageSize })}>
            {PAGE_SIZES.map((n) => (
              <option key={n} value={n}>
                {n}
              </option>
            ))}
          </select>
        </label>
      </div>
      <RetryableError message={error} onRetry={() => void load("query")} />
      {page && <LeadsTable rows={page.rows} query={query} groups={groups} busy={busy} changed={changed} onSort={onSort} />}
      <nav className="pager" aria-label="Pages">
        <button type="button" className="secondary" disabled={!query.after} onClick={() => firstPage({})}>
          First page
        </button>
        <button type="button" className="secondary" disabled={!query.after || cursors.length === 0} onClick={previousPage}>
          Previous page
        </button>
        <span>Page {query.page}</span>
        <button type="button" className="secondary" disabled={!page?.pageInfo.hasNextPage} onClick={nextPage}>
          Next page
        </button>
      </nav>
      <p className="help live-note">
        {liveNote ? `Live: ${liveNote}` : "Live updates are on: changes appear here as they happen."}
      </p>
    </section>
  );
}

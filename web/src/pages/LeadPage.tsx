/**
 * One lead: profile; score, fit, engagement and groups (with caps); the breakdown rule by rule;
 * the score history (chart and table); the stage outlook ("Why not SQL yet"); for a `sales` key,
 * the stage move (with "Reset engagement" to recycle); and one timeline of interactions and stage
 * moves. It follows the lead live: a scoring or a stage move of it reads it again.
 */
import { useCallback, useEffect, useMemo, useRef, useState } from "react";
import { Link, useParams } from "react-router";
import { describeError, request } from "../api/client";
import { useSubscription } from "../api/live";
import type { LeadDetailQuery } from "../gql/graphql";
import { formatDateTime, fullName } from "../leads/format";
import { LEAD, LEAD_SCORED, LEAD_STAGE_CHANGED, MORE_INTERACTIONS } from "../leads/operations";
import { ScoreHistory } from "../leads/ScoreHistory";
import { StageMoveForm } from "../leads/StageMoveForm";
import { StageOutlook } from "../leads/StageOutlook";
import { Timeline } from "../leads/Timeline";
import { mergeTimeline, type TimelineInteraction } from "../leads/timeline";
import { stagesOf, useModelShape } from "../leads/use-model-shape";
import { useSession } from "../session";
import { RetryableError } from "../components/RetryableError";

type Lead = NonNullable<LeadDetailQuery["lead"]>;

const RELOAD_GAP_MS = 1000;

function Profile({ lead }: { lead: Lead }) {
  const rows: Array<[string, string | number | null]> = [
    ["Email", lead.email],
    ["Name", fullName(lead) || null],
    ["Company", lead.company],
    ["Company size", lead.companySize],
    ["Role", lead.role],
    ["Industry", lead.industry],
    ["Country", lead.country],
    ["Source", lead.source],
    ["Created", formatDateTime(lead.createdAt)],
    ["Updated", formatDateTime(lead.updatedAt)],
  ];
  const attributes = Object.entries(lead.attributes);
  return (
    <section aria-labelledby="profile-title" className="panel">
      <h2 id="profile-title">Profile</h2>
      <dl className="facts">
        {rows.map(([name, value]) => (
          <div key={name}>
            <dt>{name}</dt>
            <dd>{value ?? <span className="help">not set</span>}</dd>
          </div>
        ))}
        {attributes.map(([name, value]) => (
          <div key={`attr-${name}`}>
            <dt>{name}</dt>
            <dd>{typeof value === "string" ? value : JSON.stringify(value)}</dd>
          </div>
        ))}
      </dl>
    </section>
  );
}

function Scores({ lead }: { lead: Lead }) {
  return (
    <section aria-labelledby="scores-title" className="panel">
      <h2 id="scores-title">Scores</h2>
      <dl className="scores">
        <div>
          <dt>Score</dt>
          <dd>{lead.score}</dd>
        </div>
        <div>
          <dt>Fit</dt>
          <dd>{lead.fit}</dd>
        </div>
        <div>
          <dt>Engagement</dt>
          <dd>{lead.engagement}</dd>
        </div>
      </dl>
      {lead.engagementSince && <p className="help">Engagement counts from {formatDateTime(lead.engagementSince)} (reset by hand).</p>}
      {lead.groups.length > 0 && (
        <table aria-label="Groups">
          <thead>
            <tr>
              <th scope="col">Group</th>
              <th scope="col">Kind</th>
              <th scope="col" className="num">Points</th>
              <th scope="col" className="num">Cap</th>
            </tr>
          </thead>
          <tbody>
            {lead.groups.map((g) => (
              <tr key={g.group}>
                <td>{g.group}</td>
                <td>{g.category === "FIT" ? "fit" : "engagement"}</td>
                <td className="num">
                  {g.points}
                  {g.uncappedPoints !== g.points && <span className="help"> (capped from {g.uncappedPoints})</span>}
                </td>
                <td className="num">{g.max ?? "none"}</td>
              </tr>
            ))}
          </tbody>
        </table>
      )}
    </section>
  );
}

function Breakdown({ lead }: { lead: Lead }) {
  return (
    <section aria-labelledby="breakdown-title" className="panel">
      <h2 id="breakdown-title">Score breakdown</h2>
      {lead.scoreBreakdown.length === 0 ? (
        <p>No rule counts for this lead now.</p>
      ) : (
        <table aria-label="Score breakdown">
          <thead>
            <tr>
              <th scope="col">Rule</th>
              <th scope="col">Group</th>
              <th scope="col">Kind</th>
              <th scope="col" className="num">Awards</th>
              <th scope="col" className="num">Points</th>
            </tr>
          </thead>
          <tbody>
            {lead.scoreBreakdown.map((r) => (
              <tr key={r.rule}>
                <td>
                  <code>{r.rule}</code>
                </td>
                <td>{r.group ?? ""}</td>
                <td>{r.category === "FIT" ? "fit" : "engagement"}</td>
                <td className="num">{r.count}</td>
                <td className="num">{r.points > 0 ? `+${r.points}` : r.points}</td>
              </tr>
            ))}
          </tbody>
        </table>
      )}
      {lead.groups.some((g) => g.uncappedPoints !== g.points) && <p className="help">A group's cap applies to the group's total, not to its rules here.</p>}
    </section>
  );
}

export default function LeadPage() {
  const { id = "" } = useParams();
  const session = useSession();
  const { model } = useModelShape();
  const [lead, setLead] = useState<Lead | null>(null);
  const [missing, setMissing] = useState(false);
  const [error, setError] = useState<string | null>(null);
  const [older, setOlder] = useState<{ items: TimelineInteraction[]; after: string | null; loading: boolean }>({ items: [], after: null, loading: false });

  const sequence = useRef(0);
  const load = useCallback(async () => {
    const ticket = ++sequence.current;
    try {
      const data = await request(LEAD, { id });
      if (ticket !== sequence.current) return;
      setLead(data.lead ?? null);
      setMissing(!data.lead);
      setOlder({ items: [], after: null, loading: false });
      setError(null);
    } catch (err) {
      if (ticket === sequence.current) setError(`The lead could not be loaded: ${describeError(err)}`);
    }
  }, [id]);
  useEffect(() => {
    setLead(null);
    void load();
  }, [load]);

  // Live: read the lead again after a scoring or a stage move of it (at most once a second).
  const reload = useRef<{ timer: ReturnType<typeof setTimeout> | null; last: number }>({ timer: null, last: 0 });
  const scheduleReload = useCallback(() => {
    const state = reload.current;
    if (state.timer) return;
    state.timer = setTimeout(() => {
      state.timer = null;
      state.last = Date.now();
      void load();
    }, Math.max(100, state.last + RELOAD_GAP_MS - Date.now()));
  }, [load]);
  useEffect(() => () => void (reload.current.timer && clearTimeout(reload.current.timer)), []);
  useSubscription(session.key, LEAD_SCORED, { leadId: id }, scheduleReload);
  useSubscription(session.key, LEAD_STAGE_CHANGED, {}, (data) => {
    if (data.leadStageChanged.leadId === id) scheduleReload();
  });

  const firstPage = lead?.interactions;
  const nextCursor = older.after ?? firstPage?.pageInfo.endCursor ?? null;
  const hasOlder = older.after !== null ? older.after !== "" : Boolean(firstPage?.pageInfo.hasNextPage);
  async function showOlder() {
    if (!nextCursor) return;
    setOlder((o) => ({ ...o, loading: true }));
    try {
      const data = await request(MORE_INTERACTIONS, { id, after: nextCursor });
      const page = data.lead?.interactions;
      setOlder((o) => ({
        items: [...o.items, ...(page?.edges.map((e) => e.node) ?? [])],
        // "" marks the end (no older page).
        after: page?.pageInfo.hasNextPage ? (page.pageInfo.endCursor ?? "") : "",
        loading: false,
      }));
    } catch (err) {
      setOlder((o) => ({ ...o, loading: false }));
      setError(`Older interactions could not be loaded: ${describeError(err)}`);
    }
  }

  const timeline = useMemo(() => {
    if (!lead) return [];
    const interactions = [...lead.interactions.edges.map((e) => e.node), ...older.items];
    return mergeTimeline({ interactions, allInteractions: !hasOlder, stageHistory: lead.stageHistory, engagementSince: lead.engagementSince });
  }, [lead, older.items, hasOlder]);

  if (missing) {
    return (
      <section>
        <h1>Lead not found</h1>
        <p>
          No lead has this id (it may have been deleted). <Link to="/leads">Back to the leads</Link>
        </p>
      </section>
    );
  }
  const name = lead ? fullName(lead) : "";
  return (
    <article className="lead-page" aria-labelledby="lead-title">
      <p>
        <Link to="/leads">← Leads</Link>
      </p>
      <h1 id="lead-title">{lead ? name || lead.email : "Lead"}</h1>
      <RetryableError message={error} onRetry={() => void load()} />
      {!lead && !error && <p aria-busy="true">Loading the lead…</p>}
      {lead && (
        <>
          <p className="lead-stage">
            Stage <strong>{lead.stage}</strong>
            {name && <span className="help"> · {lead.email}</span>}
          </p>
          <div className="lead-grid">
            <Scores lead={lead} />
            <Profile lead={lead} />
          </div>
          <StageOutlook outlook={lead.stageOutlook} stage={lead.stage} />
          <section aria-labelledby="move-title" className="panel">
            <h2 id="move-title">Move stage</h2>
            {session.can("SALES") ? (
              <StageMoveForm leadId={lead.id} stage={lead.stage} stages={stagesOf(model, [lead.stage])} onMoved={() => void load()} />
            ) : (
              <p className="help">Moving a lead by hand needs a key with the sales scope.</p>
            )}
          </section>
          <Breakdown lead={lead} />
          <ScoreHistory leadId={lead.id} scoreNow={lead.score} version={`${lead.updatedAt}/${lead.score}`} />
          <Timeline entries={timeline} hasOlder={hasOlder} loadingOlder={older.loading} onOlder={() => void showOlder()} />
        </>
      )}
    </article>
  );
}

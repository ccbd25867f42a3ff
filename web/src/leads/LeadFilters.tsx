/**
 * The leads table's filters: stages (checkboxes), search, source, role, industry, and ranges of
 * score, fit, engagement and each group of the model. They apply together with "Apply filters"
 * (or Enter in any field), so a half-typed range never runs a query; a range that cannot apply
 * (not a number, minimum above maximum) is said next to the form and nothing runs.
 */
import { type FormEvent, useEffect, useId, useState } from "react";
import { type GroupRange, type LeadsQuery, parseBound, queryProblems, type Range } from "./leads-query";
import type { ModelShape } from "./use-model-shape";

type RangeDraft = { min: string; max: string };

interface Draft {
  stages: string[];
  search: string;
  source: string;
  role: string;
  industry: string;
  score: RangeDraft;
  fit: RangeDraft;
  engagement: RangeDraft;
  groups: Record<string, RangeDraft>;
}

const toDraft = (range: Range): RangeDraft => ({ min: range.min === null ? "" : String(range.min), max: range.max === null ? "" : String(range.max) });
const fromDraft = (draft: RangeDraft): Range => ({ min: parseBound(draft.min), max: parseBound(draft.max) });

function draftOf(query: LeadsQuery): Draft {
  return {
    stages: query.stages,
    search: query.search,
    source: query.source,
    role: query.role,
    industry: query.industry,
    score: toDraft(query.score),
    fit: toDraft(query.fit),
    engagement: toDraft(query.engagement),
    groups: Object.fromEntries(query.groups.map((g) => [g.group, toDraft(g)])),
  };
}

export interface LeadFiltersProps {
  query: LeadsQuery;
  stages: string[];
  groups: ModelShape["groups"];
  onApply(filters: Partial<LeadsQuery>): void;
}

export function LeadFilters({ query, stages, groups, onApply }: LeadFiltersProps) {
  const [draft, setDraft] = useState<Draft>(() => draftOf(query));
  const [problems, setProblems] = useState<string[]>([]);
  const id = useId();
  // The URL changed (back, a link): the form shows what the table shows.
  useEffect(() => {
    setDraft(draftOf(query));
    setProblems([]);
  }, [query]);

  function submit(event: FormEvent) {
    event.preventDefault();
    const groupRanges: GroupRange[] = Object.entries(draft.groups)
      .map(([group, range]) => ({ group, ...fromDraft(range) }))
      .filter((g) => g.min !== null || g.max !== null);
    const next: Partial<LeadsQuery> = {
      stages: draft.stages,
      search: draft.search.trim(),
      source: draft.source.trim(),
      role: draft.role.trim(),
      industry: draft.industry.trim(),
      score: fromDraft(draft.score),
      fit: fromDraft(draft.fit),
      engagement: fromDraft(draft.engagement),
      groups: groupRanges,
    };
    const found = queryProblems({ ...query, ...next });
    setProblems(found);
    if (found.length === 0) onApply(next);
  }

  function clear() {
    onApply({ stages: [], search: "", source: "", role: "", industry: "", score: { min: null, max: null }, fit: { min: null, max: null }, engagement: { min: null, max: null }, groups: [] });
  }

  const set = <K extends keyof Draft>(key: K, value: Draft[K]) => setDraft((d) => ({ ...d, [key]: value }));
  const toggleStage = (stage: string, on: boolean) =>
    set("stages", on ? [...draft.stages, stage] : draft.stages.filter((s) => s.toLowerCase() !== stage.toLowerCase()));

  const rangeFields = (label: string, noun: string, value: RangeDraft, change: (value: RangeDraft) => void) => (
    <fieldset className="range" key={label}>
      <legend>{label}</legend>
      <input aria-label={`Minimum ${noun}`} inputMode="numeric" placeholder="min" size={5} value={value.min} onChange={(e) => change({ ...value, min: e.target.value })} />
      <span aria-hidden="true">–</span>
      <input aria-label={`Maximum ${noun}`} inputMode="numeric" placeholder="max" size={5} value={value.max} onChange={(e) => change({ ...value, max: e.target.value })} />
    </fieldset>
  );

  return (
    <form className="lead-filters" aria-label="Filters" onSubmit={submit}>
      <fieldset className="stages">
        <legend>Stage</legend>
        {stages.map((stage) => (
          <label key={stage} className="check">
            <input type="checkbox" checked={draft.stages.some((s) => s.toLowerCase() === stage.toLowerCase())} onChange={(e) => toggleStage(stage, e.target.checked)} />
            {stage}
          </label>
        ))}
      </fieldset>
      <div className="texts">
        {(
          [
            ["search", "Search", "email, name or company"],
            ["source", "Source", "exact"],
            ["role", "Role", "ignoring case"],
            ["industry", "Industry", "ignoring case"],
          ] as const
        ).map(([key, label, hint]) => (
          <div className="field" key={key}>
            <label htmlFor={`${id}-${key}`}>{label}</label>
            <input id={`${id}-${key}`} type={key === "search" ? "search" : "text"} placeholder={hint} value={draft[key]} onChange={(e) => set(key, e.target.value)} />
          </div>
        ))}
      </div>
      <div className="ranges">
        {rangeFields("Score", "score", draft.score, (v) => set("score", v))}
        {rangeFields("Fit", "fit", draft.fit, (v) => set("fit", v))}
        {rangeFields("Engagement", "engagement", draft.engagement, (v) => set("engagement", v))}
        {groups.map((g) =>
          rangeFields(`${g.name} points`, `points in ${g.name}`, draft.groups[g.name] ?? { min: "", max: "" }, (v) => set("groups", { ...draft.groups, [g.name]: v })),
        )}
      </div>
      {problems.length > 0 && (
        <ul role="alert" className="error">
          {problems.map((p) => (
            <li key={p}>{p}</li>
          ))}
        </ul>
      )}
      <div className="actions">
        <button type="submit">Apply filters</button>
        <button type="button" className="secondary" onClick={clear}>
          Clear filters
        </button>
      </div>
    </form>
  );
}

/**
 * The leads table's state (filters, sort, page) as it lives in the URL's query, so a reload or a
 * shared link shows the same table. `parseLeadsQuery` reads a URL (collecting what it cannot
 * read as problems, in words, instead of failing), `leadsQueryParams` writes one (defaults left
 * out), `leadsVariables` turns the state into the `leads` query's variables, and `mayMatch`
 * tells whether a lead seen in a live event could belong in the table (the service's own filter
 * semantics, so events that cannot matter cost no request).
 *
 * URL keys: `stage` (repeated), `q` (search), `source`, `role`, `industry`, `minScore`,
 * `maxScore`, `minFit`, `maxFit`, `minEngagement`, `maxEngagement`, `group` (repeated,
 * `Name=min..max`, either end empty), `sort` (`score`, `fit`, `engagement`, `created`, `updated`,
 * `email`, or `group:Name`), `dir` (`asc`/`desc`), `size` (25, 50, 100), `after` (the cursor) and
 * `page` (its number, for the "26–50 of …" line).
 */
import type { LeadFilter, LeadOrderField, LeadRowFragment, LeadsTableQueryVariables, OrderDirection } from "../gql/graphql";

export interface Range {
  min: number | null;
  max: number | null;
}

export interface GroupRange extends Range {
  group: string;
}

export const PAGE_SIZES = [25, 50, 100] as const;
export type PageSize = (typeof PAGE_SIZES)[number];

export type SortField = Exclude<LeadOrderField, "GROUP">;
export type Sort = { field: SortField } | { field: "GROUP"; group: string };

export interface LeadsQuery {
  stages: string[];
  search: string;
  source: string;
  role: string;
  industry: string;
  score: Range;
  fit: Range;
  engagement: Range;
  groups: GroupRange[];
  sort: Sort;
  direction: OrderDirection;
  size: PageSize;
  after: string | null;
  /** 1-based number of the page `after` starts. */
  page: number;
}

export const DEFAULT_QUERY: LeadsQuery = {
  stages: [],
  search: "",
  source: "",
  role: "",
  industry: "",
  score: { min: null, max: null },
  fit: { min: null, max: null },
  engagement: { min: null, max: null },
  groups: [],
  sort: { field: "SCORE" },
  direction: "DESC",
  size: 25,
  after: null,
  page: 1,
};

const SORT_NAMES: Record<SortField, string> = {
  SCORE: "score",
  FIT: "fit",
  ENGAGEMENT: "engagement",
  CREATED_AT: "created",
  UPDATED_AT: "updated",
  EMAIL: "email",
};

const RANGES = [
  ["score", "Score"],
  ["fit", "Fit"],
  ["engagement", "Engagement"],
] as const;

const capitalized = (key: string): string => key[0].toUpperCase() + key.slice(1);

/** An integer from a URL value or a form field ("" is none); NaN when it is not one. */
export function parseBound(text: string | null | undefined): number | null {
  const trimmed = (text ?? "").trim();
  if (trimmed === "") return null;
  return /^[+-]?\d{1,9}$/.test(trimmed) ? Number(trimmed) : Number.NaN;
}

function checkRange(label: string, range: Range, problems: string[]): Range {
  const out = { ...range };
  for (const end of ["min", "max"] as const) {
    if (Number.isNaN(out[end])) {
      problems.push(`${label}: the ${end === "min" ? "minimum" : "maximum"} must be a whole number.`);
      out[end] = null;
    }
  }
  if (out.min !== null && out.max !== null && out.min > out.max) {
    problems.push(`${label}: the minimum ${out.min} is above the maximum ${out.max}.`);
  }
  return out;
}

/** The problems of a state the person typed (ranges that are not numbers or are upside down). */
export function queryProblems(query: LeadsQuery): string[] {
  const problems: string[] = [];
  for (const [key, label] of RANGES) checkRange(label, query[key], problems);
  for (const g of query.groups) checkRange(`Group "${g.group}"`, g, problems);
  return problems;
}

/** Reads the table's state from a URL query; what cannot be read is left at its default and named in `problems`. */
export function parseLeadsQuery(params: URLSearchParams): { query: LeadsQuery; problems: string[] } {
  const problems: string[] = [];
  const text = (key: string) => (params.get(key) ?? "").trim();
  const query: LeadsQuery = {
    ...DEFAULT_QUERY,
    stages: params.getAll("stage").map((s) => s.trim()).filter(Boolean),
    groups: [],
    search: text("q"),
    source: text("source"),
    role: text("role"),
    industry: text("industry"),
  };
  for (const [key, label] of RANGES) {
    query[key] = checkRange(label, { min: parseBound(params.get(`min${capitalized(key)}`)), max: parseBound(params.get(`max${capitalized(key)}`)) }, problems);
  }
  for (const value of params.getAll("group")) {
    const at = value.lastIndexOf("=");
    const bounds = at < 0 ? null : /^\s*([^.]*)\.\.([^.]*)\s*$/.exec(value.slice(at + 1));
    const group = at < 0 ? "" : value.slice(0, at).trim();
    if (!bounds || !group) {
      problems.push(`The group filter "${value}" is not Name=min..max.`);
      continue;
    }
    const range = checkRange(`Group "${group}"`, { min: parseBound(bounds[1]), max: parseBound(bounds[2]) }, problems);
    if (range.min !== null || range.max !== null) query.groups.push({ group, ...range });
  }
  const sort = text("sort");
  if (sort) {
    const field = (Object.keys(SORT_NAMES) as SortField[]).find((f) => SORT_NAMES[f] === sort.toLowerCase());
    if (field) query.sort = { field };
    else if (/^group:./i.test(sort)) query.sort = { field: "GROUP", group: sort.slice("group:".length).trim() };
    else problems.push(`Leads cannot be sorted by "${sort}": by score, fit, engagement, created, updated, email or group:Name.`);
  }
  const dir = text("dir").toLowerCase();
  if (dir === "asc" || dir === "desc") query.direction = dir === "asc" ? "ASC" : "DESC";
  else if (dir) problems.push(`The direction "${dir}" is not asc or desc.`);
  const size = text("size");
  if (size) {
    const n = Number(size);
    if ((PAGE_SIZES as readonly number[]).includes(n)) query.size = n as PageSize;
    else problems.push(`A page has 25, 50 or 100 leads, not "${size}".`);
  }
  const after = params.get("after");
  if (after) {
    query.after = after;
    const page = Number(params.get("page"));
    query.page = Number.isInteger(page) && page > 1 ? page : 2;
  }
  return { query, problems };
}

/** The URL query of a state; defaults are left out, so the plain `/leads` is the default table. */
export function leadsQueryParams(query: LeadsQuery): URLSearchParams {
  const params = new URLSearchParams();
  for (const stage of query.stages) params.append("stage", stage);
  if (query.search) params.set("q", query.search);
  for (const key of ["source", "role", "industry"] as const) if (query[key]) params.set(key, query[key]);
  for (const [key] of RANGES) {
    const range = query[key];
    if (range.min !== null) params.set(`min${capitalized(key)}`, String(range.min));
    if (range.max !== null) params.set(`max${capitalized(key)}`, String(range.max));
  }
  for (const g of query.groups) params.append("group", `${g.group}=${g.min ?? ""}..${g.max ?? ""}`);
  const sort = query.sort.field === "GROUP" ? `group:${query.sort.group}` : SORT_NAMES[query.sort.field];
  if (sort !== "score") params.set("sort", sort);
  if (query.direction !== "DESC") params.set("dir", "asc");
  if (query.size !== 25) params.set("size", String(query.size));
  if (query.after) {
    params.set("after", query.after);
    params.set("page", String(query.page));
  }
  return params;
}

/** The `leads` query's variables for a state (`withGroups`: ask each lead's group points, when the model has groups). */
export function leadsVariables(query: LeadsQuery, withGroups: boolean): LeadsTableQueryVariables {
  const filter: LeadFilter = {};
  if (query.stages.length) filter.stage = query.stages;
  if (query.search) filter.search = query.search;
  if (query.source) filter.source = query.source;
  if (query.role) filter.role = query.role;
  if (query.industry) filter.industry = query.industry;
  if (query.score.min !== null) filter.minScore = query.score.min;
  if (query.score.max !== null) filter.maxScore = query.score.max;
  if (query.fit.min !== null) filter.minFit = query.fit.min;
  if (query.fit.max !== null) filter.maxFit = query.fit.max;
  if (query.engagement.min !== null) filter.minEngagement = query.engagement.min;
  if (query.engagement.max !== null) filter.maxEngagement = query.engagement.max;
  if (query.groups.length) filter.groups = query.groups.map(({ group, min, max }) => ({ group, min, max }));
  return {
    filter: Object.keys(filter).length ? filter : null,
    orderBy: query.sort.field === "GROUP" ? { field: "GROUP", group: query.sort.group, direction: query.direction } : { field: query.sort.field, direction: query.direction },
    first: query.size,
    after: query.after,
    withGroups,
  };
}

const inRange = (value: number, range: Range): boolean => (range.min === null || value >= range.min) && (range.max === null || value <= range.max);
const sameText = (filter: string, value: string | null): boolean => value !== null && value.trim().toLowerCase() === filter.trim().toLowerCase();

/**
 * Whether `lead` (as a live event delivers it) could be in the table for `query`, with the
 * service's semantics (stage, role, industry ignoring case; source exact; search a substring of
 * "email first last company" ignoring case). A group range is checked when the row carries its groups.
 */
export function mayMatch(query: LeadsQuery, lead: LeadRowFragment): boolean {
  if (query.stages.length && !query.stages.some((s) => sameText(s, lead.stage))) return false;
  if (!inRange(lead.score, query.score) || !inRange(lead.fit, query.fit) || !inRange(lead.engagement, query.engagement)) return false;
  if (query.source && lead.source !== query.source) return false;
  if (query.role && !sameText(query.role, lead.role)) return false;
  if (query.industry && !sameText(query.industry, lead.industry)) return false;
  if (query.search) {
    const haystack = [lead.email, lead.firstName ?? "", lead.lastName ?? "", lead.company ?? ""].join(" ").toLowerCase();
    if (!haystack.includes(query.search.toLowerCase())) return false;
  }
  if (lead.groups) {
    for (const g of query.groups) {
      const points = lead.groups.find((x) => x.group.toLowerCase() === g.group.toLowerCase())?.points ?? 0;
      if (!inRange(points, g)) return false;
    }
  }
  return true;
}

/** In words, how the table is sorted ("by score, highest first"). */
export function describeSort(query: LeadsQuery): string {
  const name = query.sort.field === "GROUP" ? `points in "${query.sort.group}"` : SORT_NAMES[query.sort.field];
  const textual = query.sort.field === "EMAIL";
  const dated = query.sort.field === "CREATED_AT" || query.sort.field === "UPDATED_AT";
  const order = textual ? (query.direction === "ASC" ? "A to Z" : "Z to A") : dated ? (query.direction === "ASC" ? "oldest first" : "newest first") : query.direction === "ASC" ? "lowest first" : "highest first";
  return `by ${name}, ${order}`;
}

/**
 * The funnel page's choices as they live in the URL: `since` and `until` (dates, the cohort of
 * leads created from the first through the last day, in the reader's time zone) and `asOf` (a
 * local date and time, to the second: the funnel as it stood then; none: now). `funnelVariables`
 * turns them into the query's instants, or says in words why it cannot.
 */
import type { FunnelPageQueryVariables } from "../gql/graphql";

export interface FunnelChoice {
  since: string;
  until: string;
  asOf: string;
}

const DATE = /^(\d{4})-(\d{2})-(\d{2})$/;
const DATE_TIME = /^(\d{4})-(\d{2})-(\d{2})T(\d{2}):(\d{2})(?::(\d{2}))?$/;

/** Local midnight of a `YYYY-MM-DD` (plus `days`), or null when it is not a real date. */
export function localDay(text: string, days = 0): Date | null {
  const m = DATE.exec(text);
  if (!m) return null;
  const date = new Date(Number(m[1]), Number(m[2]) - 1, Number(m[3]) + days);
  const check = new Date(Number(m[1]), Number(m[2]) - 1, Number(m[3]));
  return check.getMonth() === Number(m[2]) - 1 && check.getDate() === Number(m[3]) ? date : null;
}

/** A `YYYY-MM-DDTHH:mm[:ss]` in local time, or null when it is not one. */
export function localDateTime(text: string): Date | null {
  const m = DATE_TIME.exec(text);
  if (!m) return null;
  const [y, mo, d, h, mi, s] = [m[1], m[2], m[3], m[4], m[5], m[6] ?? "0"].map(Number);
  const date = new Date(y, mo - 1, d, h, mi, s);
  return date.getMonth() === mo - 1 && date.getDate() === d && date.getHours() === h && date.getMinutes() === mi ? date : null;
}

export function readChoice(params: URLSearchParams): FunnelChoice {
  return { since: params.get("since") ?? "", until: params.get("until") ?? "", asOf: params.get("asOf") ?? "" };
}

export function choiceParams(choice: FunnelChoice): URLSearchParams {
  const params = new URLSearchParams();
  for (const key of ["since", "until", "asOf"] as const) if (choice[key]) params.set(key, choice[key]);
  return params;
}

/** The query's variables for a choice, or the problems that keep it from running. */
export function funnelVariables(choice: FunnelChoice, now: Date = new Date()): { variables: FunnelPageQueryVariables } | { problems: string[] } {
  const problems: string[] = [];
  const since = choice.since ? localDay(choice.since) : null;
  // Through the last day: up to the next midnight (the API's `until` is exclusive).
  const until = choice.until ? localDay(choice.until, 1) : null;
  const asOf = choice.asOf ? localDateTime(choice.asOf) : null;
  if (choice.since && !since) problems.push(`"${choice.since}" is not a date (from).`);
  if (choice.until && !until) problems.push(`"${choice.until}" is not a date (through).`);
  if (choice.asOf && !asOf) problems.push(`"${choice.asOf}" is not a date and time (as of).`);
  if (since && until && since >= until) problems.push("The first day comes after the last day.");
  if (asOf && asOf.getTime() > now.getTime()) problems.push("“As of” is in the future: choose a past instant, or none for now.");
  if (problems.length) return { problems };
  return {
    variables: {
      since: since?.toISOString() ?? null,
      until: until?.toISOString() ?? null,
      asOf: asOf?.toISOString() ?? null,
      compare: asOf !== null,
    },
  };
}

/**
 * A strict reader of the Prometheus text exposition format (version 0.0.4), for the metrics tests:
 * every line must be a HELP or TYPE comment or a sample of a declared family, or the read throws,
 * naming the line. What it returns is looked up by name and labels.
 */

export interface Sample {
  name: string;
  labels: Record<string, string>;
  value: number;
}

export interface Exposition {
  /** Family name → its TYPE. */
  types: Map<string, string>;
  samples: Sample[];
  /** The value of the one sample `name` whose labels include `labels`; undefined when there is none. */
  value(name: string, labels?: Record<string, string>): number | undefined;
}

const NAME = "[a-zA-Z_:][a-zA-Z0-9_:]*";
const SAMPLE = new RegExp(`^(${NAME})(?:\\{(.*)\\})? (\\S+)(?: (-?\\d+))?$`);
const LABEL = /\s*([a-zA-Z_][a-zA-Z0-9_]*)="((?:[^"\\]|\\.)*)"\s*(,|$)/y;
const TYPES = new Set(["counter", "gauge", "histogram", "summary", "untyped"]);
const SUFFIXES: Record<string, string[]> = { histogram: ["_bucket", "_sum", "_count"], summary: ["_sum", "_count"] };

function parseValue(raw: string, line: string): number {
  if (raw === "NaN") return Number.NaN;
  if (raw === "+Inf") return Number.POSITIVE_INFINITY;
  if (raw === "-Inf") return Number.NEGATIVE_INFINITY;
  const value = Number(raw);
  if (raw === "" || Number.isNaN(value)) throw new Error(`not a sample value: ${line}`);
  return value;
}

function parseLabels(text: string, line: string): Record<string, string> {
  const labels: Record<string, string> = {};
  LABEL.lastIndex = 0;
  while (LABEL.lastIndex < text.length) {
    const match = LABEL.exec(text);
    if (!match) throw new Error(`malformed labels: ${line}`);
    labels[match[1]] = match[2].replace(/\\(.)/g, (_m, c: string) => (c === "n" ? "\n" : c));
    if (match[3] === "") break;
  }
  return labels;
}

/** The family a sample belongs to: its own name, or a histogram's or summary's with a suffix. */
function familyOf(name: string, types: Map<string, string>): string | undefined {
  if (types.has(name)) return name;
  for (const [family, type] of types) {
    if ((SUFFIXES[type] ?? []).some((suffix) => name === family + suffix)) return family;
  }
  return undefined;
}

export function parsePrometheusText(text: string): Exposition {
  const types = new Map<string, string>();
  const samples: Sample[] = [];
  for (const line of text.split("\n")) {
    if (line === "") continue;
    if (line.startsWith("#")) {
      const comment = new RegExp(`^# (HELP|TYPE) (${NAME}) ?(.*)$`).exec(line);
      if (!comment) throw new Error(`malformed comment: ${line}`);
      if (comment[1] === "TYPE") {
        if (!TYPES.has(comment[3])) throw new Error(`unknown type: ${line}`);
        if (types.has(comment[2])) throw new Error(`family declared twice: ${line}`);
        types.set(comment[2], comment[3]);
      }
      continue;
    }
    const match = SAMPLE.exec(line);
    if (!match) throw new Error(`malformed sample: ${line}`);
    if (!familyOf(match[1], types)) throw new Error(`sample of an undeclared family: ${line}`);
    samples.push({ name: match[1], labels: match[2] ? parseLabels(match[2], line) : {}, value: parseValue(match[3], line) });
  }
  return {
    types,
    samples,
    value(name, labels = {}) {
      const found = samples.filter((s) => s.name === name && Object.entries(labels).every(([k, v]) => s.labels[k] === v));
      if (found.length > 1) throw new Error(`${found.length} samples ${name} ${JSON.stringify(labels)}: give more labels`);
      return found[0]?.value;
    },
  };
}

/** GETs `url` and reads it as the text format (fails on another status or content type). */
export async function scrape(url: string): Promise<Exposition> {
  const res = await fetch(url);
  const body = await res.text();
  if (res.status !== 200) throw new Error(`GET ${url}: ${res.status} ${body}`);
  const type = res.headers.get("content-type") ?? "";
  if (!/^text\/plain; version=0\.0\.4/.test(type)) throw new Error(`GET ${url}: content type ${type}`);
  return parsePrometheusText(body);
}

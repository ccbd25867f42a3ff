/**
 * Model tests: "test models like code". Marketing ops write a `*.rules.test` file next to their
 * model (`seed-model.rules` → `seed-model.rules.test`) with cases like
 *
 * ```
 * now 2025-03-01T12:00:00Z
 *
 * test "A newsletter reader who checks prices"
 *   lead firstName=Ann role="Marketing Director" industry=SaaS
 *   -10d subscribe "newsletter"
 *   -3d  visit "https://acme.com/pricing?utm_source=mail"
 *   expect score 50
 *   expect stage MQL
 *   expect fired visit "/pricing" => +15
 *   expect points visit "/pricing" 13 at +30d     # version 2: decayed values, at a later time
 *   expect group "Product A" 30
 *   reset at -1d                                   # an engagement reset (recycling)
 * ```
 *
 * `parseModelTests` reads such a file (a `TestFileReader` takes it line by line, one method per
 * kind of line; a wrong line is a `LineError`, reported with its line number, and reading goes on);
 * `runModelTests` runs it against a compiled model, scoring the interactions in the order listed
 * and moving the lead through the funnel as the service does. A failure explains rule by rule what
 * matched and what did not. The format is documented in `docs/testing-models.md`.
 */
import { explainRules, formatExplanations, formatStageOutlook, stageOutlook, type RuleExplanation } from "./explain";
import { LEAD_FIELDS, type CompiledModel, type InteractionFacts, type LeadFields, type StageMove } from "./model";

/** Something wrong in a test file itself (not a failing expectation). */
export interface ModelTestError {
  line: number;
  message: string;
}

/**
 * What a case expects, at its place among the interactions. `at`: checked as of that instant
 * instead (`expect … at +30d`), for totals, groups, points and fired rules.
 */
export type Expectation = (
  | { kind: "total"; metric: "score" | "fit" | "engagement"; value: number }
  | { kind: "group"; group: string; value: number }
  | { kind: "points"; rule: string; value: number }
  | { kind: "stage"; stage: string }
  | { kind: "stages"; stages: string[] }
  | { kind: "fired"; rule: string; negated: boolean; times: number | null }
) & { at?: Date };

/**
 * One line of a case: an interaction arriving, a change of the lead's fields (a `lead` line after
 * the first interaction), an engagement reset, or an expectation checked at that point.
 */
export type ModelTestStep =
  | { kind: "interaction"; line: number; facts: InteractionFacts }
  | { kind: "fields"; line: number; fields: [key: string, value: string][] }
  | { kind: "reset"; line: number; at: Date | null }
  | { kind: "expect"; line: number; text: string; expectation: Expectation };

/** One `test "…"` block. */
export interface ModelTestCase {
  name: string;
  line: number;
  /** The lead as created, before the first interaction. */
  lead: LeadFields;
  now: Date;
  steps: ModelTestStep[];
}

/** A parsed `*.rules.test` file. */
export interface ModelTestFile {
  /** The `model "…"` line: the model's path relative to the test file; null when not given. */
  model: string | null;
  cases: ModelTestCase[];
}

/** The outcome of one case. */
export interface ModelTestCaseResult {
  name: string;
  line: number;
  passed: boolean;
  /** One entry per failed expectation: a `✗ …` line, then indented explanation lines. */
  failures: string[][];
  /** The line of each failed expectation, in the order of `failures` (editors mark it there). */
  failureLines: number[];
}

/** When a file sets no `now`. */
export const DEFAULT_NOW = new Date("2025-01-01T00:00:00Z");
const DEFAULT_EMAIL = "lead@example.com";

const UNIT_MS: Readonly<Record<string, number>> = { w: 604_800_000, d: 86_400_000, h: 3_600_000, m: 60_000, s: 1_000 };
const RELATIVE_TIME = /^([+-])((?:\d+(?:\.\d+)?[wdhms])+)$/;
const ABSOLUTE_TIME = /^\d{4}-\d{2}-\d{2}(?:T\d{2}:\d{2}(?::\d{2}(?:\.\d+)?)?(?:Z|[+-]\d{2}:\d{2}))?$/;
const INTERACTION_TYPE = /^[a-z_][a-z0-9_]*$/;
const LEAD_FIELD_SET: ReadonlySet<string> = new Set(LEAD_FIELDS);

class LineError extends Error {}

/** Drops a `#` comment: a `#` outside quotes at the start of the line or after a space. */
function stripComment(line: string): string {
  let quoted = false;
  for (let i = 0; i < line.length; i++) {
    const c = line[i];
    if (quoted && c === "\\") i++;
    else if (c === '"') quoted = !quoted;
    else if (c === "#" && !quoted && (i === 0 || /\s/.test(line[i - 1]))) return line.slice(0, i);
  }
  return line;
}

/** Splits on spaces outside quotes: `role="Marketing Director" -3d` → two words. */
function words(line: string): string[] {
  const out: string[] = [];
  let current = "";
  let quoted = false;
  for (let i = 0; i < line.length; i++) {
    const c = line[i];
    if (!quoted && /\s/.test(c)) {
      if (current !== "") out.push(current);
      current = "";
      continue;
    }
    if (quoted && c === "\\" && i + 1 < line.length) {
      current += c + line[++i];
      continue;
    }
    if (c === '"') quoted = !quoted;
    current += c;
  }
  if (quoted) throw new LineError("a quote is not closed");
  if (current !== "") out.push(current);
  return out;
}

/** Decodes `"…"` (JSON escapes) or returns a bare word as it is. */
function unquote(word: string): string {
  if (!word.startsWith('"')) return word;
  try {
    return JSON.parse(word) as string;
  } catch {
    throw new LineError(`${word} is not a valid quoted text`);
  }
}

/** A data value: `"text"` stays text; bare `12`, `true`, `false`, `null` are what they say. */
function dataValue(word: string): unknown {
  if (word.startsWith('"')) return unquote(word);
  if (word === "null") return null;
  if (word === "true") return true;
  if (word === "false") return false;
  if (/^-?\d+(?:\.\d+)?$/.test(word)) return Number(word);
  return word;
}

function keyValue(word: string): [string, string] {
  const eq = word.indexOf("=");
  if (eq <= 0) throw new LineError(`expected key=value, got ${word}`);
  return [word.slice(0, eq), word.slice(eq + 1)];
}

function parseInstant(word: string): Date {
  const at = ABSOLUTE_TIME.test(word) ? new Date(word) : null;
  if (at === null || Number.isNaN(at.getTime())) {
    throw new LineError(`${word} is not a time: write 2025-03-01T12:00:00Z (UTC, or with an offset)`);
  }
  return at;
}

/** `-3d`, `+2h30m`, or an absolute instant. */
function parseTime(word: string, now: Date, previous: Date | null): Date {
  const relative = RELATIVE_TIME.exec(word);
  if (relative === null) return parseInstant(word);
  let ms = 0;
  for (const [, amount, unit] of relative[2].matchAll(/(\d+(?:\.\d+)?)([wdhms])/g)) ms += Number(amount) * UNIT_MS[unit];
  if (relative[1] === "-") return new Date(now.getTime() - ms);
  if (previous === null) throw new LineError(`${word} is relative to the interaction above, and there is none: write -… (before now)`);
  return new Date(previous.getTime() + ms);
}

/** Sets an own property (so that keys such as `__proto__` stay plain data). */
function defineOwn(target: Record<string, unknown>, key: string, value: unknown): void {
  Object.defineProperty(target, key, { value, enumerable: true, writable: true, configurable: true });
}

function setLeadField(lead: LeadFields, key: string, raw: string): void {
  if (key.startsWith("attributes.") && key.length > "attributes.".length) {
    lead.attributes = { ...lead.attributes };
    defineOwn(lead.attributes, key.slice("attributes.".length), dataValue(raw));
    return;
  }
  if (!LEAD_FIELD_SET.has(key)) throw new LineError(`unknown lead field ${key}: use one of ${LEAD_FIELDS.join(", ")} or attributes.<key>`);
  const fields = lead as unknown as Record<string, unknown>;
  if (key === "companySize") {
    const value = dataValue(raw);
    if (value !== null && typeof value !== "number") throw new LineError(`companySize must be a number, got ${raw}`);
    fields[key] = value;
    return;
  }
  const text = raw === "null" ? null : unquote(raw);
  if (key === "email" && text === null) throw new LineError("a lead always has an email");
  fields[key] = text;
}

/** `… at -3d` / `… at +30d` (from now) / `… at 2025-03-01T12:00:00Z` at the end of an expectation. */
const AT_SUFFIX = /\s+at\s+(\S+)$/;

function parseExpectation(text: string, now: Date): Expectation {
  const suffix = AT_SUFFIX.exec(text.trim());
  const word = suffix?.[1];
  if (suffix !== null && word !== undefined && (RELATIVE_TIME.test(word) || ABSOLUTE_TIME.test(word))) {
    const expectation = parseExpectationBody(text.trim().slice(0, suffix.index));
    if (expectation.kind === "stage" || expectation.kind === "stages") {
      throw new LineError(`"at" does not apply to stages: stages are history, checked where the line stands`);
    }
    return { ...expectation, at: parseAt(word, now) };
  }
  return parseExpectationBody(text);
}

/** A time after `at`: relative to `now` either way (`-3d` before it, `+30d` after it), or absolute. */
function parseAt(word: string, now: Date): Date {
  const relative = RELATIVE_TIME.exec(word);
  if (relative === null) return parseInstant(word);
  return new Date(now.getTime() + (relative[1] === "-" ? -1 : 1) * durationMs(relative[2]));
}

function durationMs(text: string): number {
  let ms = 0;
  for (const [, amount, unit] of text.matchAll(/(\d+(?:\.\d+)?)([wdhms])/g)) ms += Number(amount) * UNIT_MS[unit];
  return ms;
}

const WHOLE_NUMBER = /^[+-]?\d+$/;

function parseExpectationBody(rest: string): Expectation {
  const [keyword, ...tail] = rest.trim().split(/\s+/);
  const argument = rest.trim().slice(keyword.length).trim();
  switch (keyword) {
    case "score":
    case "fit":
    case "engagement": {
      if (tail.length !== 1 || !/^[+-]?\d+$/.test(tail[0])) throw new LineError(`expected a whole number after "expect ${keyword}"`);
      return { kind: "total", metric: keyword, value: Number(tail[0]) };
    }
    case "group": {
      const match = /^("(?:[^"\\]|\\.)*"|\S+)\s+(\S+)$/.exec(argument);
      if (match === null || !WHOLE_NUMBER.test(match[2])) throw new LineError('expected a group and a whole number: expect group "Product A" 30');
      return { kind: "group", group: unquote(match[1]), value: Number(match[2]) };
    }
    case "points": {
      const match = /^(.*\S)\s+([+-]?\d+)$/.exec(argument);
      if (match === null) throw new LineError('expected a rule and a whole number: expect points visit "/pricing" 13');
      let rule = match[1];
      if (/^"(?:[^"\\]|\\.)*"$/.test(rule)) rule = unquote(rule);
      return { kind: "points", rule, value: Number(match[2]) };
    }
    case "stage":
      if (tail.length !== 1) throw new LineError('expected one stage name after "expect stage"');
      return { kind: "stage", stage: tail[0] };
    case "stages": {
      const stages = argument.split(">").map((s) => s.trim());
      if (stages.some((s) => s === "" || /\s/.test(s))) throw new LineError("expected stages separated by >, e.g. expect stages Subscriber > Lead > MQL");
      return { kind: "stages", stages };
    }
    case "fired":
      return firedExpectation(argument, false);
    case "not": {
      if (tail[0] !== "fired") throw new LineError('expected "expect not fired <rule>"');
      return firedExpectation(argument.slice("fired".length).trim(), true);
    }
    default:
      throw new LineError(`unknown expectation "${keyword}": use score, fit, engagement, group, points, stage, stages, fired or not fired`);
  }
}

function firedExpectation(argument: string, negated: boolean): Expectation {
  const times = /\s+x(\d+)$/.exec(argument);
  let rule = times === null ? argument : argument.slice(0, times.index);
  if (negated && times !== null) throw new LineError('"not fired" takes no count');
  if (/^"(?:[^"\\]|\\.)*"$/.test(rule)) rule = unquote(rule); // a `rule "Name":` name, quoted
  if (rule.trim() === "") throw new LineError("expected the rule's name after fired");
  return { kind: "fired", rule, negated, times: times === null ? null : Number(times[1]) };
}

/** A case as read so far: its lead is built once the whole file is read (file-level lines count too). */
interface Draft {
  name: string;
  line: number;
  leadWords: [string, string][];
  now: Date | null;
  steps: ModelTestStep[];
}

/**
 * Reads a model test file. Errors point at the line; cases that read cleanly are still returned.
 */
export function parseModelTests(text: string): { file: ModelTestFile; errors: ModelTestError[] } {
  const reader = new TestFileReader();
  const errors: ModelTestError[] = [];
  text.split(/\r?\n/).forEach((raw, i) => {
    const content = stripComment(raw).trim();
    if (content === "") return;
    try {
      reader.read(content, i + 1);
    } catch (err) {
      if (!(err instanceof LineError)) throw err;
      errors.push({ line: i + 1, message: err.message });
    }
  });
  const cases = reader.cases(errors);
  errors.sort((a, b) => a.line - b.line);
  return { file: { model: reader.model, cases }, errors };
}

/**
 * The state of reading a test file, one non-empty line at a time: the file-level settings (`model`,
 * `now`, `lead` above the first test) and the cases. A line that is wrong throws `LineError`.
 */
class TestFileReader {
  /** The `model "…"` line's path. */
  model: string | null = null;
  private fileNow: Date | null = null;
  private readonly fileLead: [string, string][] = [];
  private readonly drafts: Draft[] = [];
  /** The test being read (a test without a name is read here but never returned). */
  private current: Draft | null = null;
  /** When the interaction above happened, in this test: what a `+…` time counts from. */
  private previous: Date | null = null;
  /** Interactions are numbered across the whole file. */
  private seq = 0;

  read(content: string, line: number): void {
    const ws = words(content);
    const head = ws[0];
    if (head === "test") return this.startTest(content, line);
    if (head === "model") return this.setModel(ws);
    if (head === "now") return this.setNow(ws);
    if (head === "lead") return this.addLeadFields(ws.slice(1), line);
    if (this.current === null) throw new LineError(`"${head}" must be inside a test: start one with test "…"`);
    if (head === "expect") {
      this.current.steps.push({ kind: "expect", line, text: content, expectation: parseExpectation(content.slice(6), this.nowOf(this.current)) });
      return;
    }
    if (head === "reset") return this.addReset(this.current, ws, line);
    this.addInteraction(this.current, ws, line);
  }

  /** The cases read, each with its lead and `now` settled; interactions after `now` are errors. */
  cases(errors: ModelTestError[]): ModelTestCase[] {
    return this.drafts.map((draft) => {
      const lead: LeadFields = { email: DEFAULT_EMAIL, attributes: {} };
      for (const [k, v] of [...this.fileLead, ...draft.leadWords]) setLeadField(lead, k, v);
      const now = this.nowOf(draft);
      for (const step of draft.steps) {
        if (step.kind === "interaction" && step.facts.occurredAt.getTime() > now.getTime()) {
          errors.push({ line: step.line, message: `this interaction happens after now (${now.toISOString()})` });
        }
      }
      return { name: draft.name, line: draft.line, lead, now, steps: draft.steps };
    });
  }

  /** `test "name"` (or an unquoted name). */
  private startTest(content: string, line: number): void {
    const name = content.slice(4).trim();
    this.current = { name: name.startsWith('"') ? unquote(name) : name, line, leadWords: [], now: null, steps: [] };
    if (this.current.name === "") throw new LineError('a test needs a name: test "…"');
    this.drafts.push(this.current);
    this.previous = null;
  }

  /** `model "file.rules"`, once, above the tests. */
  private setModel(ws: string[]): void {
    if (this.current !== null || ws.length !== 2) throw new LineError('write model "file.rules" once, before the first test');
    this.model = unquote(ws[1]);
  }

  /** `now <instant>`: for the file above the tests, for one test before its interactions. */
  private setNow(ws: string[]): void {
    if (ws.length !== 2) throw new LineError("write now 2025-03-01T12:00:00Z");
    const at = parseInstant(ws[1]);
    if (this.current === null) this.fileNow = at;
    else if (hasInteractions(this.current)) throw new LineError("set now before the interactions of the test");
    else this.current.now = at;
  }

  /**
   * `lead key=value …`: above the tests, every case's lead; in a test before its interactions, the
   * lead as created; after one, a change of the lead's fields at that point.
   */
  private addLeadFields(fieldWords: string[], line: number): void {
    const pairs = fieldWords.map(keyValue);
    // Validate now, so the error points at this line.
    const probe: LeadFields = { email: DEFAULT_EMAIL, attributes: {} };
    for (const [k, v] of pairs) setLeadField(probe, k, v);
    if (this.current === null) this.fileLead.push(...pairs);
    else if (hasInteractions(this.current)) this.current.steps.push({ kind: "fields", line, fields: pairs });
    else this.current.leadWords.push(...pairs);
  }

  /** `<time> <type> ["target"] key=value …`. */
  private addInteraction(draft: Draft, ws: string[], line: number): void {
    const head = ws[0];
    if (!/^[+\-\d]/.test(head)) {
      throw new LineError(`a line of a test starts with a time (-3d visit "/pricing"), lead, now or expect, not ${head}`);
    }
    const occurredAt = parseTime(head, this.nowOf(draft), this.previous);
    this.previous = occurredAt;
    draft.steps.push({ kind: "interaction", line, facts: parseInteraction(ws.slice(1), occurredAt, ++this.seq, line) });
  }

  /** `reset` (at the last arrival) or `reset at TIME` (a time as for interactions). */
  private addReset(draft: Draft, ws: string[], line: number): void {
    if (ws.length === 1) {
      draft.steps.push({ kind: "reset", line, at: null });
      return;
    }
    if (ws.length !== 3 || ws[1] !== "at") throw new LineError("write reset, or reset at -2d (a time as for interactions)");
    draft.steps.push({ kind: "reset", line, at: parseTime(ws[2], this.nowOf(draft), this.previous) });
  }

  private nowOf(draft: Draft): Date {
    return draft.now ?? this.fileNow ?? DEFAULT_NOW;
  }
}

function hasInteractions(draft: Draft): boolean {
  return draft.steps.some((s) => s.kind === "interaction");
}

function parseInteraction(ws: string[], occurredAt: Date, seq: number, line: number): InteractionFacts {
  const [type, ...rest] = ws;
  if (type === undefined) throw new LineError("expected an interaction type after the time, e.g. -3d visit \"/pricing\"");
  if (!INTERACTION_TYPE.test(type)) throw new LineError(`interaction types are lowercase names (visit, email_open), got ${type}`);
  const facts: InteractionFacts = { id: `line-${line}`, seq, type, target: null, source: null, properties: {}, occurredAt };
  if (rest.length > 0 && !/^[A-Za-z_][\w.]*=/.test(rest[0])) facts.target = unquote(rest.shift()!);
  for (const word of rest) {
    const [key, raw] = keyValue(word);
    if (key === "source") facts.source = unquote(raw);
    else if (key === "id") facts.id = unquote(raw);
    else if (key.startsWith("properties.") && key.length > "properties.".length) {
      defineOwn(facts.properties, key.slice("properties.".length), dataValue(raw));
    } else throw new LineError(`unknown interaction field ${key}: use source=…, properties.<key>=… or id=…`);
  }
  return facts;
}

/** What the lead looks like after the interactions so far. */
interface Progress {
  /** The lead's fields as they are now. */
  lead: LeadFields;
  arrived: InteractionFacts[];
  /** The moment the last one arrived (the later of its time and the previous arrival). */
  arrivedAt: Date | null;
  stage: string;
  path: string[];
  moves: { move: StageMove; at: Date }[];
  /** The last engagement reset, if any. */
  resetAt: Date | null;
}

function advanceStage(model: CompiledModel, progress: Progress, at: Date): void {
  const lead = progress.lead;
  const evaluation = model.replay(lead, progress.arrived, at, progress.resetAt);
  const move = model.nextStage(progress.stage, { ...evaluation, lead, interactions: progress.arrived });
  if (move === null) return;
  progress.stage = move.to;
  progress.path.push(move.to);
  progress.moves.push({ move, at });
}

/** A rule name as compared: spaces collapsed, case ignored. */
const nameKey = (name: string) => name.trim().replace(/\s+/g, " ").toLowerCase();

/**
 * Finds a rule by its name, or by the part of its name before `=>` (`visit "/pricing"`), or by
 * the start of its name, as long as that picks one rule.
 */
function findRule(model: CompiledModel, name: string): { index: number } | string {
  const wanted = nameKey(name);
  const rules = model.rules.map((r) => ({ rule: r, key: nameKey(r.name) }));
  const exact = rules.find((r) => r.key === wanted);
  if (exact !== undefined) return exact.rule;
  for (const prefix of [`${wanted} =>`, `${wanted} `]) {
    const starting = rules.filter((r) => r.key.startsWith(prefix));
    if (starting.length === 1) return starting[0].rule;
    if (starting.length > 1) return `"${name}" could be any of: ${starting.map((r) => r.rule.name).join(" | ")}`;
  }
  return `the model has no rule named "${name}"; its rules are: ${model.rules.map((r) => r.name).join(" | ")}`;
}

function check(model: CompiledModel, step: Extract<ModelTestStep, { kind: "expect" }>, progress: Progress, at: Date): string[] | null {
  const e = step.expectation;
  if (e.at !== undefined) at = e.at;
  const when = e.at === undefined ? "" : ` at ${at.toISOString()}`;
  const replay = () => model.replay(progress.lead, progress.arrived, at, progress.resetAt);
  const explained = () => explainRules(model, progress.lead, progress.arrived, at, progress.resetAt);
  const explain = (keep: (x: RuleExplanation) => boolean) => formatExplanations(explained().filter(keep)).map((l) => `  ${l}`);
  switch (e.kind) {
    case "total": {
      const got = replay()[e.metric];
      if (got === e.value) return null;
      const category = e.metric === "fit" ? "FIT" : "ENGAGEMENT";
      const lines = explain((x) => e.metric === "score" || x.rule.category === category);
      return [`✗ expected ${e.metric} ${e.value}${when}, got ${got} (line ${step.line})`, ...lines];
    }
    case "group": {
      const key = e.group.trim().toLowerCase();
      const group = model.groups.find((g) => g.name.toLowerCase() === key);
      if (group === undefined) {
        return [`✗ the model has no group named "${e.group}"; its groups are: ${model.groups.map((g) => g.name).join(" | ") || "none"} (line ${step.line})`];
      }
      const got = replay().groups.find((g) => g.index === group.index)!;
      if (got.points === e.value) return null;
      const cap = got.points === got.uncapped ? "" : ` (capped at ${group.max}: its rules give ${got.uncapped})`;
      const members = new Set(model.rules.filter((r) => r.group === group.index).map((r) => r.index));
      return [`✗ expected group "${group.name}" ${e.value}${when}, got ${got.points}${cap} (line ${step.line})`, ...explain((x) => members.has(x.rule.index))];
    }
    case "points": {
      const found = findRule(model, e.rule);
      if (typeof found === "string") return [`✗ ${found} (line ${step.line})`];
      const mine = explained().find((x) => x.rule.index === found.index)!;
      if (mine.points === e.value) return null;
      return [`✗ expected "${mine.rule.name}" to be worth ${e.value}${when}, it is worth ${mine.points} (line ${step.line})`, ...formatExplanations([mine]).map((l) => `  ${l}`)];
    }
    case "stage": {
      if (progress.stage.toLowerCase() === e.stage.toLowerCase()) return null;
      return [`✗ expected stage ${e.stage}, got ${progress.stage} (line ${step.line})`, ...describeStages(model, progress, at)];
    }
    case "stages": {
      const got = progress.path.join(" > ");
      if (nameKey(got) === nameKey(e.stages.join(" > "))) return null;
      return [`✗ expected stages ${e.stages.join(" > ")}, got ${got} (line ${step.line})`, ...describeStages(model, progress, at)];
    }
    case "fired": {
      const found = findRule(model, e.rule);
      if (typeof found === "string") return [`✗ ${found} (line ${step.line})`];
      const mine = explained().find((x) => x.rule.index === found.index)!;
      const detail = formatExplanations([mine]).map((l) => `  ${l}`);
      const count = mine.count;
      if (e.negated) return count === 0 ? null : [`✗ expected "${mine.rule.name}" not to fire${when}, it did (line ${step.line})`, ...detail];
      if (e.times === null ? count > 0 : count === e.times) return null;
      const wanted = e.times === null ? "to fire" : `to fire ${e.times} times`;
      return [`✗ expected "${mine.rule.name}" ${wanted}${when}, it fired ${count} times (line ${step.line})`, ...detail];
    }
  }
}

function describeStages(model: CompiledModel, progress: Progress, at: Date): string[] {
  const lines = progress.moves.map(({ move, at: when }) => `  ${move.from} → ${move.to} at ${when.toISOString()} by ${move.rule}`);
  const totals = model.replay(progress.lead, progress.arrived, at, progress.resetAt);
  const groups = totals.groups.map((g) => `, group "${g.name}" ${g.points}`).join("");
  lines.push(`  now: score ${totals.score} (fit ${totals.fit}, engagement ${totals.engagement}${groups})`);
  const outlook = stageOutlook(model, progress.stage, { ...totals, lead: progress.lead, interactions: progress.arrived });
  lines.push(...formatStageOutlook(outlook).map((l) => `  ${l}`));
  return lines;
}

/**
 * Runs the cases of a test file against a model. Interactions are scored in the order they are
 * listed (each arrives at the later of its time and the previous arrival); after the lead is
 * created and after each interaction, the stage moves as `nextStage` says. An `expect` is checked
 * as of the arrival of the interaction above it, or as of `now` when no interaction follows it.
 */
export function runModelTests(model: CompiledModel, file: ModelTestFile): ModelTestCaseResult[] {
  return file.cases.map((c) => {
    const first = model.funnel.stages[0];
    const progress: Progress = { lead: c.lead, arrived: [], arrivedAt: null, stage: first, path: [first], moves: [], resetAt: null };
    const failures: string[][] = [];
    const failureLines: number[] = [];
    advanceStage(model, progress, c.steps.find((s) => s.kind === "interaction")?.facts.occurredAt ?? c.now);
    c.steps.forEach((step, i) => {
      if (step.kind === "interaction") {
        const t = step.facts.occurredAt;
        progress.arrivedAt = progress.arrivedAt === null || t > progress.arrivedAt ? t : progress.arrivedAt;
        progress.arrived.push(step.facts);
        advanceStage(model, progress, progress.arrivedAt);
        return;
      }
      if (step.kind === "reset") {
        // Like the API's reset, at the later of its time and the last arrival; no stage rule runs.
        const t = step.at ?? progress.arrivedAt ?? c.now;
        progress.resetAt = progress.arrivedAt !== null && progress.arrivedAt > t ? progress.arrivedAt : t;
        progress.arrivedAt = progress.resetAt;
        return;
      }
      if (step.kind === "fields") {
        // An upsert right after the interaction above: fit and the stage are evaluated again.
        const lead: LeadFields = { ...progress.lead };
        for (const [k, v] of step.fields) setLeadField(lead, k, v);
        progress.lead = lead;
        advanceStage(model, progress, progress.arrivedAt ?? c.now);
        return;
      }
      const interactionFollows = c.steps.slice(i + 1).some((s) => s.kind === "interaction");
      const at = interactionFollows && progress.arrivedAt !== null ? progress.arrivedAt : c.now;
      const failure = check(model, step, progress, at);
      if (failure === null) return;
      failures.push(failure);
      failureLines.push(step.line);
    });
    return { name: c.name, line: c.line, passed: failures.length === 0, failures, failureLines };
  });
}

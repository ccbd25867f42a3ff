/**
 * The 40 rules of `BENCH_MODEL` written by hand as plain TypeScript: what a developer would code
 * without a rule language, with the same meaning (normalised targets, case-insensitive trimmed
 * strings, untyped numbers, caps, windows, expiries) and the same output (the award ledger and
 * the totals). It is the practical speed limit the compiled model is measured against.
 */
import type { Award, InteractionFacts, LeadFields } from "../src/dsl/model";
import { normaliseTarget } from "../src/dsl/runtime/targets";

const DAY = 86_400_000;

/** What the benchmark compares between engines. */
export interface BenchResult {
  fit: number;
  engagement: number;
  score: number;
  awards: Award[];
}

const text = (v: unknown): string | null => (typeof v === "string" ? v.trim().toLowerCase() : typeof v === "number" ? String(v) : null);
const isBlank = (v: unknown) => v === null || v === undefined || (typeof v === "string" && v.trim() === "");

function numeric(v: unknown): number | null {
  if (typeof v === "number") return Number.isFinite(v) ? v : null;
  if (typeof v !== "string" || !/^\s*[+-]?(?:\d+(?:\.\d*)?|\.\d+)(?:[eE][+-]?\d+)?\s*$/.test(v)) return null;
  const n = Number(v);
  return Number.isFinite(n) ? n : null;
}

const own = (o: Record<string, unknown>, k: string): unknown => (Object.prototype.hasOwnProperty.call(o, k) ? o[k] : undefined);

/** At most `max` awards still counting at the interaction's time; `expiresMs` 0: never expires. */
class Cap {
  private readonly expiries: number[] = [];
  private head = 0;
  constructor(
    private readonly max: number,
    private readonly expiresMs = 0,
  ) {}
  take(at: number): boolean {
    while (this.head < this.expiries.length && this.expiries[this.head] <= at) this.head++;
    if (this.expiries.length - this.head >= this.max) return false;
    this.expiries.push(this.expiresMs === 0 ? Infinity : at + this.expiresMs);
    return true;
  }
}

/** At least `count` matches with time in `(t − withinMs, t]`. */
class Window {
  private readonly times: number[] = [];
  private head = 0;
  constructor(
    private readonly count: number,
    private readonly withinMs: number,
  ) {}
  reached(at: number): boolean {
    this.times.push(at);
    while (this.times[this.head] <= at - this.withinMs) this.head++;
    return this.times.length - this.head >= this.count;
  }
}

/**
 * Scores a lead by hand. `names[i]` is rule i's name (the awards carry it).
 */
export function scoreByHand(lead: LeadFields, interactions: readonly InteractionFacts[], now: Date, names: readonly string[]): BenchResult {
  const sorted = [...interactions].sort((a, b) => a.occurredAt.getTime() - b.occurredAt.getTime() || a.seq - b.seq);
  const awards: Award[] = [];
  const award = (rule: number, points: number, ix: InteractionFacts, at: number, expiresMs = 0) =>
    awards.push({
      ruleIndex: rule,
      rule: names[rule],
      category: "ENGAGEMENT",
      points,
      interactionId: ix.id,
      awardedAt: ix.occurredAt,
      expiresAt: expiresMs === 0 ? null : new Date(at + expiresMs),
    });
  const pricingWindow = new Window(3, 7 * DAY);
  const caps = {
    pricing3: new Cap(1),
    careersSub: new Cap(3),
    blog: new Cap(5),
    docs: new Cap(10, 30 * DAY),
    integrations: new Cap(3),
    customers: new Cap(2),
    security: new Cap(1),
    compare: new Cap(2, 60 * DAY),
    ads: new Cap(20),
    enterprise: new Cap(1),
    whitepaper: new Cap(3),
    subscribe: new Cap(1),
    emailOpen: new Cap(10, 90 * DAY),
    emailClick: new Cap(10),
    contact: new Cap(1),
    trial: new Cap(1),
    usage: new Cap(15),
    adClick: new Cap(10),
  };

  for (const ix of sorted) {
    const at = ix.occurredAt.getTime();
    switch (ix.type) {
      case "visit": {
        const n = normaliseTarget(ix.target);
        const t = n === null ? null : n.toLowerCase();
        if (t === "/pricing") {
          award(0, 15, ix, at);
          if (pricingWindow.reached(at) && caps.pricing3.take(at)) award(1, 20, ix, at);
        }
        if (t === "/careers") award(2, -10, ix, at);
        if (t !== null) {
          if (t.startsWith("/careers/") && caps.careersSub.take(at)) award(3, -5, ix, at);
          if (t.startsWith("/blog/") && caps.blog.take(at)) award(4, 2, ix, at);
          if (t.startsWith("/docs/") && caps.docs.take(at)) award(5, 1, ix, at, 30 * DAY);
          if (t.startsWith("/integrations/") && caps.integrations.take(at)) award(6, 3, ix, at);
          if (t.startsWith("/customers/") && caps.customers.take(at)) award(7, 4, ix, at);
          if (t === "/security" && caps.security.take(at)) award(8, 6, ix, at);
          if (t.startsWith("/compare/") && caps.compare.take(at)) award(9, 8, ix, at, 60 * DAY);
        }
        if (text(ix.source) === "ads" && caps.ads.take(at)) award(10, 1, ix, at);
        if (t === "/pricing") {
          const plan = own(ix.properties, "plan");
          if (!isBlank(plan) && text(plan) === "enterprise" && caps.enterprise.take(at)) award(11, 10, ix, at);
        }
        break;
      }
      case "download": {
        award(12, 1, ix, at);
        const n = normaliseTarget(ix.target);
        if (n === null) break;
        const t = n.toLowerCase();
        if (t.startsWith("case-study")) award(13, 10, ix, at);
        if (t.endsWith(".pdf")) {
          const pages = numeric(own(ix.properties, "pages"));
          if (pages !== null && pages >= 20) award(14, 3, ix, at);
        }
        if (t.startsWith("whitepaper") && caps.whitepaper.take(at)) award(15, 5, ix, at);
        break;
      }
      case "subscribe": {
        const n = normaliseTarget(ix.target);
        if (n !== null && n.toLowerCase() === "newsletter" && caps.subscribe.take(at)) award(16, 5, ix, at);
        break;
      }
      case "email_open": {
        const n = normaliseTarget(ix.target);
        if (n !== null && n.toLowerCase() === "newsletter" && caps.emailOpen.take(at)) award(17, 2, ix, at, 90 * DAY);
        break;
      }
      case "email_click": {
        if (caps.emailClick.take(at)) award(18, 3, ix, at);
        const n = normaliseTarget(ix.target);
        if (n !== null && n.toLowerCase().includes("pricing")) award(19, 5, ix, at);
        break;
      }
      case "webinar": {
        const minutes = numeric(own(ix.properties, "minutes"));
        if (minutes !== null && minutes >= 30) award(20, 10, ix, at, 90 * DAY);
        break;
      }
      case "webinar_registration":
        award(21, 4, ix, at);
        break;
      case "demo_request":
        award(22, 30, ix, at);
        break;
      case "contact_request":
        if (caps.contact.take(at)) award(23, 25, ix, at);
        break;
      case "form_submit": {
        const n = normaliseTarget(ix.target);
        if (n !== null && n.toLowerCase().startsWith("/contact")) award(24, 10, ix, at);
        break;
      }
      case "trial_signup":
        if (caps.trial.take(at)) award(25, 40, ix, at);
        break;
      case "product_usage": {
        const feature = text(own(ix.properties, "feature"));
        if ((feature === "reports" || feature === "api") && caps.usage.take(at)) award(26, 2, ix, at);
        break;
      }
      case "ad_click": {
        const source = text(ix.source);
        if ((source === "linkedin" || source === "google") && caps.adClick.take(at)) award(27, 1, ix, at);
        break;
      }
      case "event_registration":
        award(28, 6, ix, at);
        break;
      case "unsubscribe":
        award(29, -20, ix, at);
        break;
    }
  }

  const nowMs = now.getTime();
  let engagement = 0;
  for (const a of awards) if (a.expiresAt === null || nowMs < a.expiresAt.getTime()) engagement += a.points;

  const role = text(lead.role) ?? "";
  const size = typeof lead.companySize === "number" ? lead.companySize : null;
  const industry = text(lead.industry);
  const country = text(lead.country);
  let fit = 0;
  if (role.includes("director")) fit += 15;
  if (role.includes("vp") || role.includes("head")) fit += 12;
  if (role === "ceo" || role === "cto" || role === "cmo") fit += 20;
  if (size !== null && size >= 50) fit += 10;
  if (size !== null && size >= 1000) fit += 10;
  if (industry === "saas" || industry === "software") fit += 10;
  if (country === "us" || country === "gb" || country === "de" || country === "fr") fit += 5;
  if ((text(lead.email) ?? "").endsWith("@gmail.com")) fit -= 15;
  if (text(own(lead.attributes, "plan")) === "enterprise") fit += 8;
  if (text(lead.source) === "referral") fit += 7;
  return { fit, engagement, score: fit + engagement, awards };
}

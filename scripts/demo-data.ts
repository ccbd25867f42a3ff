/**
 * The demo's data, as pure data: who the leads are and what they do over the quarter, with no
 * database and no clock. `scripts/demo.ts` writes it through the service layer; the tests replay
 * it with the seed model (test/unit/demo-data.spec.ts).
 *
 * The targets follow the default (seed) model's conventions, so every one of its rules fires on
 * this data: case studies are downloaded as `case-study-<customer>.pdf` (`download "case-study*"`),
 * newsletters are `subscribe` / `email_open` of the target `newsletter` (the issue is in
 * `properties.issue`), pages are paths or absolute URLs of `/pricing`, `/careers`, `/blog/…`.
 *
 * Deterministic: the same seed and time span give the same events.
 */
import type { InteractionInputData } from "../src/services/interaction.service";
import type { LeadInputData } from "../src/services/lead.service";

export const DAY = 24 * 60 * 60 * 1000;
export const DEMO_LEADS = 1000;
export const DEMO_SEED = 20261122;

/** mulberry32: a small, fast, seeded PRNG. */
export function prng(seed: number) {
  let a = seed >>> 0;
  const next = () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
  return {
    next,
    int: (min: number, max: number) => min + Math.floor(next() * (max - min + 1)),
    pick: <T>(items: readonly T[]): T => items[Math.floor(next() * items.length)],
    weighted: <T>(items: ReadonlyArray<readonly [T, number]>): T => {
      const total = items.reduce((sum, [, w]) => sum + w, 0);
      let r = next() * total;
      for (const [item, w] of items) if ((r -= w) < 0) return item;
      return items[items.length - 1][0];
    },
    chance: (p: number) => next() < p,
  };
}
type Random = ReturnType<typeof prng>;

const FIRST = ["Anna", "Ben", "Chiara", "David", "Elif", "Farid", "Grace", "Hiro", "Ines", "Jonas", "Kavya", "Lukas", "Maria", "Nils", "Olivia", "Pedro", "Quinn", "Rosa", "Sven", "Tomás", "Uma", "Victor", "Wen", "Yara", "Zoe"];
const LAST = ["Almeida", "Becker", "Chen", "Dubois", "Eriksen", "Fischer", "García", "Hoffmann", "Ivanova", "Jansen", "Kowalski", "Larsen", "Müller", "Nakamura", "O'Brien", "Petrov", "Rossi", "Schmidt", "Tanaka", "Urban", "Vogel", "Weber", "Yilmaz", "Zimmermann"];
/** Company, industry, employees. */
const COMPANIES: ReadonlyArray<readonly [string, string, number]> = [
  ["Acme Analytics", "Software", 250], ["Borealis Bank", "Finance", 5000], ["Cobalt Logistics", "Logistics", 1200],
  ["Delta Health", "Healthcare", 800], ["Evergreen Retail", "Retail", 3000], ["Fjord Energy", "Energy", 2000],
  ["Gridline Telecom", "Telecommunications", 9000], ["Helix Biotech", "Healthcare", 150], ["Ionic Labs", "Software", 40],
  ["Juniper Media", "Media", 300], ["Kestrel Insurance", "Finance", 1500], ["Lumen Education", "Education", 600],
  ["Mosaic Design", "Agency", 25], ["Northwind Foods", "Manufacturing", 4000], ["Orbit Robotics", "Manufacturing", 350],
  ["Pinnacle Consulting", "Consulting", 90], ["Quartz Security", "Software", 500], ["Riverbank Credit", "Finance", 700],
  ["Solstice Travel", "Travel", 1100], ["Tidewater Shipping", "Logistics", 6000], ["Upland Cloud", "SaaS", 180],
  ["Vantage CRM", "SaaS", 420], ["Wavelength Apps", "SaaS", 60],
];
/** Roles as lead-ad forms report them, with how often. */
const ROLES: ReadonlyArray<readonly [string, number]> = [
  ["Marketing Manager", 14], ["Head of Marketing", 8], ["Marketing Director", 7], ["Marketing Director EMEA", 2], ["CMO", 4],
  ["Growth Lead", 6], ["Sales Manager", 8], ["VP Sales", 4], ["Developer", 9], ["CTO", 4], ["Product Manager", 7],
  ["Student", 6], ["Consultant", 7], ["Operations Manager", 8], ["CEO", 4],
];
const COUNTRIES = ["DE", "FR", "GB", "NL", "ES", "IT", "SE", "PL", "US", "CA", "AT", "CH"];
const BLOG = ["lead-scoring-101", "mql-vs-sql", "funnel-metrics", "rules-as-code", "b2b-intent-signals", "email-deliverability", "webinar-playbook", "attribution-models"];
const CASE_STUDIES = ["acme", "borealis", "gridline", "helix", "northwind"];
/** Other documents: they earn only `download => +1`. */
const DOCUMENTS = ["whitepaper-lead-scoring.pdf", "ebook-b2b-funnel.pdf", "checklist-mql-handover.pdf", "datasheet-qualify.pdf", "report-state-of-b2b-marketing-2026.pdf"];
const SOURCES = [["website", 35], ["linkedin", 20], ["facebook", 15], ["newsletter", 20], ["webinar", 10]] as const;
const ENGAGEMENT = [["cold", 50], ["warm", 32], ["hot", 13], ["champion", 5]] as const;

export type DemoSource = (typeof SOURCES)[number][0];
type Engagement = (typeof ENGAGEMENT)[number][0];

export type DemoEvent =
  | { at: number; kind: "interaction"; email: string; input: InteractionInputData }
  /** A sales move, made only when the lead is then in one of `from` (sales work what the model hands them). */
  | { at: number; kind: "stage"; email: string; stage: string; from: readonly string[]; reason: string };

/** The newsletter issue sent on or before `at` (one a week, on Tuesdays). */
function issueOf(at: number): string {
  const d = new Date(at);
  d.setUTCDate(d.getUTCDate() - ((d.getUTCDay() + 5) % 7));
  return d.toISOString().slice(0, 10);
}

/** One lead's story: where they came from, what they did afterwards, and what sales did. */
function planLead(r: Random, index: number, start: number, end: number, seq: { n: number }): DemoEvent[] {
  const first = r.pick(FIRST);
  const last = r.pick(LAST);
  const [company, industry, size] = r.pick(COMPANIES);
  const domain = company.toLowerCase().replace(/[^a-z]+/g, "") + ".example";
  const email = `${first}.${last}.${index}@${domain}`.toLowerCase().normalize("NFD").replace(/[^a-z0-9.@-]/g, "");
  const source: DemoSource = r.weighted(SOURCES);
  // Arrivals grow over the quarter (a campaign that works).
  const arrival = start + Math.sqrt(r.next()) * (end - start - DAY);
  const engagement: Engagement = r.weighted(ENGAGEMENT);
  const count = { cold: r.int(4, 14), warm: r.int(15, 35), hot: r.int(30, 55), champion: r.int(50, 90) }[engagement];
  const profile: LeadInputData = {
    email,
    firstName: first,
    lastName: last,
    company,
    industry,
    companySize: size,
    role: r.weighted(ROLES),
    country: r.pick(COUNTRIES),
    source,
  };
  // Job seekers: they read about the company and its careers page, they don't buy.
  const jobSeeker = engagement !== "champion" && r.chance(0.06);
  const events: DemoEvent[] = [];
  const add = (at: number, input: Omit<InteractionInputData, "email">) => {
    seq.n++;
    events.push({ at, kind: "interaction", email, input: { ...input, email, occurredAt: new Date(at), externalId: `demo-${seq.n}` } });
  };

  // Arrival. Newsletter sign-ups and gated documents give an email only (the lead stays a
  // Subscriber until it gives its name); lead-ad forms come with the profile filled in.
  let named = true;
  let subscribed = false;
  if (source === "newsletter" || (source === "website" && r.chance(0.3))) named = false;
  const emailOnly: LeadInputData = { email, source };
  switch (source) {
    case "website":
      if (named) add(arrival, { type: "form_submit", target: "/contact", source: "website", lead: profile, properties: { form: "contact" } });
      else add(arrival, { type: "download", target: r.pick(DOCUMENTS), source: "website", lead: emailOnly, properties: { gated: true } });
      break;
    case "linkedin":
      add(arrival, { type: "form_submit", target: "linkedin-lead-ad-q4", source: "linkedin", lead: profile, properties: { campaign: "q4-awareness" } });
      break;
    case "facebook":
      add(arrival, { type: "form_submit", target: "facebook-lead-ad-ebook", source: "facebook", lead: profile, properties: { adset: "ebook-retargeting" } });
      break;
    case "newsletter":
      subscribed = true;
      add(arrival, { type: "subscribe", target: "newsletter", source: "newsletter", lead: emailOnly, properties: { issue: issueOf(arrival), form: "footer" } });
      break;
    case "webinar":
      add(arrival, { type: "webinar_register", target: "webinar-scoring-live", source: "webinar", lead: profile, properties: { session: "q4" } });
      break;
  }
  // Does an anonymous lead give its name later (a webinar or contact form), and when?
  const namesAt = named ? -1 : r.chance({ cold: 0.2, warm: 0.55, hot: 0.9, champion: 1 }[engagement]) ? r.int(1, Math.max(1, Math.floor(count / 3))) : -1;
  // Does the lead ask for a demo, and after how much of its story?
  const demoAfter = jobSeeker ? -1 : r.chance({ cold: 0.01, warm: 0.06, hot: 0.4, champion: 0.85 }[engagement]) ? 0.3 + r.next() * 0.6 : -1;
  let demoAt = -1;

  const pricing = { cold: 1, warm: 3, hot: 7, champion: 10 }[engagement];
  const pages: ReadonlyArray<readonly [string, number]> = [
    ["/", 10], ["/pricing", pricing], [`/blog/${r.pick(BLOG)}`, 14], [`/blog/${r.pick(BLOG)}`, 8], ["/features", 8],
    ["/docs/getting-started", 5], ["/careers", jobSeeker ? 25 : 1], ["/about", 3], [`/case-studies/${r.pick(CASE_STUDIES)}`, 5],
    ["/integrations", 4],
  ];
  let at = arrival;
  for (let i = 1; i < count; i++) {
    at += r.next() * ((end - arrival) / count) * 2;
    if (at >= end) break;
    if (i === namesAt) {
      named = true;
      const form = r.chance(0.5)
        ? { type: "webinar_register", target: "webinar-scoring-live", source: "webinar", properties: { session: "q4" } }
        : { type: "form_submit", target: "/contact", source: "website", properties: { form: "contact" } };
      add(at, { ...form, lead: profile });
      continue;
    }
    if (demoAfter >= 0 && demoAt < 0 && named && i >= demoAfter * count) {
      demoAt = at;
      add(at, { type: "demo_request", target: "/demo", source: "website", properties: { slot: r.pick(["morning", "afternoon"]) } });
      continue;
    }
    const what = r.weighted([
      ["visit", 55], ["newsletter", subscribed ? 20 : 0], ["subscribe", subscribed ? 0 : 3], ["download", 7],
      ["webinar", 3], ["visit_pricing_url", engagement === "cold" ? 0 : 3],
    ] as const);
    if (what === "visit") add(at, { type: "visit", target: r.weighted(pages), source: "website", properties: { durationSeconds: r.int(5, 400) } });
    else if (what === "visit_pricing_url") add(at, { type: "visit", target: "https://qualify.example/pricing?plan=team", source: "website", properties: { utm_source: "newsletter" } });
    else if (what === "subscribe") {
      subscribed = true;
      add(at, { type: "subscribe", target: "newsletter", source: "website", properties: { issue: issueOf(at), form: "blog-sidebar" } });
    } else if (what === "newsletter") {
      const type = r.weighted([["email_open", 80], ["email_click", 20]] as const);
      add(at, { type, target: "newsletter", source: "newsletter", properties: { issue: issueOf(at), campaign: `newsletter-${issueOf(at)}` } });
    } else if (what === "download") {
      const target = r.chance(0.45) ? `case-study-${r.pick(CASE_STUDIES)}.pdf` : r.pick(DOCUMENTS);
      add(at, { type: "download", target, source: "website" });
    } else add(at, { type: "webinar", target: "webinar-scoring-live", source: "webinar", properties: { attendedMinutes: r.int(5, 60) } });
  }

  // What sales do with the leads the model hands them: SQLs become opportunities, some of those
  // customers; a few cold leads are set aside.
  if (demoAt >= 0 && r.chance({ cold: 0, warm: 0.3, hot: 0.5, champion: 0.75 }[engagement])) {
    const opportunityAt = demoAt + (1 + r.next() * 6) * DAY;
    if (opportunityAt < end) {
      events.push({ at: opportunityAt, kind: "stage", email, stage: "Opportunity", from: ["SQL"], reason: "proposal sent" });
      const customerAt = opportunityAt + (5 + r.next() * 15) * DAY;
      if (customerAt < end && r.chance(0.5)) events.push({ at: customerAt, kind: "stage", email, stage: "Customer", from: ["Opportunity"], reason: "contract signed" });
    }
  }
  if ((engagement === "cold" && r.chance(0.05)) || (jobSeeker && r.chance(0.3))) {
    const outAt = end - r.next() * 10 * DAY;
    if (outAt > arrival) events.push({ at: outAt, kind: "stage", email, stage: "Other", from: ["Subscriber", "Lead"], reason: "not a fit" });
  }
  return events;
}

/**
 * The demo's events between `start` and `end`, in time order: about 1,000 leads and 20,000
 * interactions for 90 days.
 */
export function generateDemo(start: number, end: number, leads = DEMO_LEADS, seed = DEMO_SEED): DemoEvent[] {
  const r = prng(seed);
  const seq = { n: 0 };
  return Array.from({ length: leads }, (_, i) => planLead(r, i + 1, start, end, seq))
    .flat()
    .sort((a, b) => a.at - b.at);
}

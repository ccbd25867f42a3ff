/**
 * `npm run demo`: fills the configured database with a realistic synthetic data set — about 1,000
 * leads and 20,000 interactions over the last 90 days, arriving from the website, LinkedIn and
 * Facebook lead ads, newsletters and webinars — written through the service layer (the same path
 * as production), on a simulated clock so that every timestamp is where it would have been.
 * Deterministic (seeded PRNG); a second run finds the data present and changes nothing.
 */
import "reflect-metadata";
import { loadConfig } from "../src/config";
import type { Caller, Clock } from "../src/context";
import { createLogger } from "../src/logger";
import { startApp } from "../src/server/app";
import type { InteractionInputData } from "../src/services/interaction.service";

const DAY = 24 * 60 * 60 * 1000;
const LEADS = 1000;
const SEED = 20261122;

/** mulberry32: a small, fast, seeded PRNG. */
function prng(seed: number) {
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

const FIRST = ["Anna", "Ben", "Chiara", "David", "Elif", "Farid", "Grace", "Hiro", "Ines", "Jonas", "Kavya", "Lukas", "Maria", "Nils", "Olivia", "Pedro", "Quinn", "Rosa", "Sven", "Tomás", "Uma", "Victor", "Wen", "Yara", "Zoe"];
const LAST = ["Almeida", "Becker", "Chen", "Dubois", "Eriksen", "Fischer", "García", "Hoffmann", "Ivanova", "Jansen", "Kowalski", "Larsen", "Müller", "Nakamura", "O'Brien", "Petrov", "Rossi", "Schmidt", "Tanaka", "Urban", "Vogel", "Weber", "Yilmaz", "Zimmermann"];
const COMPANIES: ReadonlyArray<readonly [string, string, number]> = [
  ["Acme Analytics", "Software", 250], ["Borealis Bank", "Finance", 5000], ["Cobalt Logistics", "Logistics", 1200],
  ["Delta Health", "Healthcare", 800], ["Evergreen Retail", "Retail", 3000], ["Fjord Energy", "Energy", 2000],
  ["Gridline Telecom", "Telecommunications", 9000], ["Helix Biotech", "Healthcare", 150], ["Ionic Labs", "Software", 40],
  ["Juniper Media", "Media", 300], ["Kestrel Insurance", "Finance", 1500], ["Lumen Education", "Education", 600],
  ["Mosaic Design", "Agency", 25], ["Northwind Foods", "Manufacturing", 4000], ["Orbit Robotics", "Manufacturing", 350],
  ["Pinnacle Consulting", "Consulting", 90], ["Quartz Security", "Software", 500], ["Riverbank Credit", "Finance", 700],
  ["Solstice Travel", "Travel", 1100], ["Tidewater Shipping", "Logistics", 6000],
];
const ROLES = ["Marketing Manager", "Head of Marketing", "Marketing Director", "CMO", "Growth Lead", "Sales Manager", "VP Sales", "Developer", "CTO", "Product Manager", "Student", "Consultant", "Operations Manager", "CEO"];
const COUNTRIES = ["DE", "FR", "GB", "NL", "ES", "IT", "SE", "PL", "US", "CA", "AT", "CH"];
const BLOG = ["lead-scoring-101", "mql-vs-sql", "funnel-metrics", "rules-as-code", "b2b-intent-signals", "email-deliverability", "webinar-playbook", "attribution-models"];
const CASE_STUDIES = ["acme", "borealis", "gridline", "helix", "northwind"];
const SOURCES = [["website", 40], ["linkedin", 20], ["facebook", 15], ["newsletter", 15], ["webinar", 10]] as const;

type Source = (typeof SOURCES)[number][0];

interface PlannedEvent {
  at: number;
  kind: "interaction" | "stage";
  input?: InteractionInputData;
  email: string;
  stage?: string;
  reason?: string;
}

/** One lead's story: where they came from, what they did afterwards, and what sales did. */
function planLead(r: ReturnType<typeof prng>, index: number, start: number, end: number, seq: { n: number }): PlannedEvent[] {
  const first = r.pick(FIRST);
  const last = r.pick(LAST);
  const [company, industry, size] = r.pick(COMPANIES);
  const domain = company.toLowerCase().replace(/[^a-z]+/g, "") + ".example";
  const email = `${first}.${last}.${index}@${domain}`.toLowerCase().normalize("NFD").replace(/[^a-z0-9.@-]/g, "");
  const source: Source = r.weighted(SOURCES);
  // Arrivals grow over the quarter (a campaign that works).
  const arrival = start + Math.sqrt(r.next()) * (end - start - DAY);
  const engagement = r.weighted([["cold", 45], ["warm", 35], ["hot", 15], ["champion", 5]] as const);
  const count = { cold: r.int(3, 10), warm: r.int(12, 30), hot: r.int(30, 60), champion: r.int(50, 90) }[engagement];
  const profile = {
    email,
    firstName: first,
    lastName: last,
    company,
    industry,
    companySize: size,
    role: r.pick(ROLES),
    country: r.pick(COUNTRIES),
    source,
  };
  const events: PlannedEvent[] = [];
  const add = (at: number, input: Omit<InteractionInputData, "email">) => {
    seq.n++;
    events.push({
      at,
      kind: "interaction",
      email,
      input: { ...input, email, occurredAt: new Date(at), externalId: `demo-${seq.n}` },
    });
  };

  const firstTouch: Record<Source, Omit<InteractionInputData, "email">> = {
    website: { type: "visit", target: r.pick(["/", "/pricing", `/blog/${r.pick(BLOG)}`]), source: "website", lead: profile },
    linkedin: { type: "form_submit", target: "linkedin-lead-ad-q4", source: "linkedin", lead: profile, properties: { campaign: "q4-awareness" } },
    facebook: { type: "form_submit", target: "facebook-lead-ad-ebook", source: "facebook", lead: profile, properties: { adset: "ebook-retargeting" } },
    newsletter: { type: "subscribe", target: "/newsletter", source: "newsletter", lead: profile },
    webinar: { type: "webinar_register", target: "webinar-scoring-live", source: "webinar", lead: profile },
  };
  add(arrival, firstTouch[source]);

  const pages: ReadonlyArray<readonly [string, number]> = [
    ["/", 10], ["/pricing", engagement === "cold" ? 2 : 8], [`/blog/${r.pick(BLOG)}`, 20], ["/features", 8], ["/docs/getting-started", 5],
    ["/careers", 3], ["/about", 3], [`/case-studies/${r.pick(CASE_STUDIES)}`, 5], ["/integrations", 4],
  ];
  let at = arrival;
  for (let i = 1; i < count && at < end; i++) {
    at += r.next() * ((end - arrival) / count) * 2;
    if (at >= end) break;
    const what = r.weighted([["visit", 55], ["email_open", 20], ["email_click", 7], ["download", 8], ["webinar", 3], ["visit_pricing", 7]] as const);
    if (what === "visit") add(at, { type: "visit", target: r.weighted(pages), source: "website", properties: { durationSeconds: r.int(5, 400) } });
    else if (what === "visit_pricing") add(at, { type: "visit", target: "https://qualify.example/pricing?plan=team", source: "website" });
    else if (what === "email_open" || what === "email_click") {
      add(at, { type: what, target: `newsletter-${new Date(at).toISOString().slice(0, 10)}`, source: "newsletter" });
    } else if (what === "download") add(at, { type: "download", target: `/assets/case-study-${r.pick(CASE_STUDIES)}.pdf`, source: "website" });
    else add(at, { type: "webinar", target: "webinar-scoring-live", source: "webinar", properties: { attendedMinutes: r.int(5, 60) } });
  }

  // What sales did (until the scoring model moves stages by itself).
  const path: ReadonlyArray<readonly [string, string]> = [
    ["Lead", "opted in"],
    ["MQL", "engaged with pricing and content"],
    ["SQL", "requested a demo"],
    ["Opportunity", "proposal sent"],
    ["Customer", "contract signed"],
  ];
  const reach = { cold: r.chance(0.3) ? 1 : 0, warm: r.int(1, 2), hot: r.int(2, 4), champion: r.int(3, 5) }[engagement];
  let moveAt = arrival;
  for (let i = 0; i < reach; i++) {
    moveAt += r.next() * Math.max(DAY, (end - moveAt) / 3);
    if (moveAt >= end) break;
    if (path[i][0] === "SQL") add(moveAt - 60_000, { type: "demo_request", target: "/demo", source: "website" });
    events.push({ at: moveAt, kind: "stage", email, stage: path[i][0], reason: path[i][1] });
  }
  if (engagement === "cold" && r.chance(0.05)) events.push({ at: end - r.next() * 10 * DAY, kind: "stage", email, stage: "Other", reason: "not a fit" });
  return events;
}

async function main(): Promise<void> {
  const config = loadConfig();
  const end = Date.now();
  const start = end - 90 * DAY;
  let simulated = start;
  const clock: Clock = { now: () => new Date(simulated) };
  const app = await startApp(config, createLogger("warn"), { clock, noHttp: true });
  const out = (line: string) => process.stdout.write(line + "\n");
  try {
    const r = prng(SEED);
    const seq = { n: 0 };
    const events = Array.from({ length: LEADS }, (_, i) => planLead(r, i + 1, start, end, seq))
      .flat()
      .sort((a, b) => a.at - b.at);
    const ingest: Caller = { keyId: null, name: "demo web tracker", scopes: new Set(["ingest"]) };
    const sales: Caller = { keyId: null, name: "sales (demo)", scopes: new Set(["sales"]) };
    const firstEmail = events.find((e) => e.kind === "interaction")?.email as string;
    if (await app.services.leads.findByEmail(app.context(null), firstEmail)) {
      out("Demo data is already present; nothing to do.");
      return;
    }
    const interactions = events.filter((e) => e.kind === "interaction").length;
    out(`Writing ${LEADS} leads and ${interactions} interactions over 90 days through the service layer…`);
    const began = Date.now();
    let done = 0;
    for (const event of events) {
      // Each event is received a few seconds after it happened.
      simulated = Math.min(end, event.at + 3000);
      if (event.kind === "interaction") {
        await app.services.interactions.record(app.context(ingest), event.input as InteractionInputData);
        if (++done % 2000 === 0) out(`  ${done} / ${interactions} interactions`);
      } else {
        // Sales push leads forward only: where the stage rules got there first, nothing to do.
        const lead = await app.services.leads.findByEmail(app.context(sales), event.email);
        const { stages: path } = await app.services.stages.funnel(app.context(sales));
        const forward = !!lead && path.includes(lead.stage) && path.indexOf(event.stage as string) > path.indexOf(lead.stage);
        if (lead && (event.stage === "Other" || forward)) {
          await app.services.stages.setStage(app.context(sales), lead.id, event.stage as string, event.reason);
        }
      }
    }
    out(`Done in ${Math.round((Date.now() - began) / 1000)} s. Try the example queries in the README.`);
  } finally {
    await app.close();
  }
}

main().catch((err: unknown) => {
  process.stderr.write(`demo failed: ${err instanceof Error ? err.stack : String(err)}\n`);
  process.exitCode = 1;
});

/**
 * The benchmark's fixed inputs: a realistic 40-rule model, 100,000 interactions of 1,000 leads
 * drawn from a seeded PRNG (the same numbers on every run), and a 1,000-rule model for compile time.
 */
import type { InteractionFacts, LeadFields } from "../src/dsl/model";

/** The 40 rules (30 activity, 10 fit) every engine of the benchmark implements. */
export const BENCH_MODEL = `
# Engagement: 30 activity rules
visit "/pricing"                                              => +15
visit "/pricing" at least 3 times within 7 days               => +20 once
visit "/careers"                                              => -10
visit "/careers/*"                                            => -5 max 3
visit "/blog/*"                                               => +2 max 5
visit "/docs/*"                                               => +1 max 10 expires after 30 days
visit "/integrations/*"                                       => +3 max 3
visit "/customers/*"                                          => +4 max 2
visit "/security"                                             => +6 once
visit "/compare/*"                                            => +8 max 2 expires after 60 days
visit where source = "ads"                                    => +1 max 20
visit "/pricing" where properties.plan = "enterprise"         => +10 once
download                                                      => +1
download "case-study*"                                        => +10
download "*.pdf" where properties.pages >= 20                 => +3
download "whitepaper*"                                        => +5 max 3
subscribe "newsletter"                                        => +5 once
email_open "newsletter"                                       => +2 max 10 expires after 90 days
email_click                                                   => +3 max 10
email_click where target contains "pricing"                   => +5
webinar where properties.minutes >= 30                        => +10 expires after 90 days
webinar_registration                                          => +4
demo_request                                                  => +30
contact_request                                               => +25 once
form_submit "/contact*"                                       => +10
trial_signup                                                  => +40 once
product_usage where properties.feature in ["reports", "api"]  => +2 max 15
ad_click where source in ["linkedin", "google"]               => +1 max 10
event_registration                                            => +6
unsubscribe                                                   => -20

# Fit: 10 rules
role contains "Director"                   => +15
role contains "VP" or role contains "Head" => +12
role in ["CEO", "CTO", "CMO"]              => +20
companySize >= 50                          => +10
companySize >= 1000                        => +10
industry in ["SaaS", "Software"]           => +10
country in ["US", "GB", "DE", "FR"]        => +5
email endsWith "@gmail.com"                => -15
attributes.plan = "enterprise"             => +8
source = "referral"                        => +7

stage Lead when firstName is set
stage MQL  when score >= 50
stage SQL  when score >= 100 and has demo_request
`;

export const LEADS = 1_000;
export const INTERACTIONS_PER_LEAD = 100;
export const NOW = new Date("2025-06-01T00:00:00Z");
const DAY = 86_400_000;

/** mulberry32: a small, fast, seeded PRNG. */
export function prng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

type Draw = () => number;
const pick = <T>(random: Draw, items: readonly T[]): T => items[Math.floor(random() * items.length)];

/** [weight, type] of each interaction type; `page_scroll` has no rule. */
const TYPE_WEIGHTS: readonly [number, string][] = [
  [50, "visit"],
  [10, "download"],
  [12, "email_open"],
  [6, "email_click"],
  [2, "subscribe"],
  [3, "webinar"],
  [2, "webinar_registration"],
  [1, "demo_request"],
  [1, "contact_request"],
  [2, "form_submit"],
  [1, "trial_signup"],
  [5, "product_usage"],
  [3, "ad_click"],
  [1, "event_registration"],
  [0.5, "unsubscribe"],
  [5, "page_scroll"],
];
const TOTAL_WEIGHT = TYPE_WEIGHTS.reduce((n, [w]) => n + w, 0);

const PAGES = [
  "/pricing",
  "/pricing/",
  "https://www.acme.com/pricing?utm_source=ads",
  "/careers",
  "/careers/engineer",
  "/blog/lead-scoring-101",
  "/blog/2025/funnels",
  "/docs/api",
  "/docs/getting-started",
  "/integrations/hubspot",
  "/customers/globex",
  "/security",
  "/compare/competitor",
  "/",
  "/about",
  "/product",
  "https://acme.com/product/?ref=nav#top",
];
const DOCUMENTS = ["case-study-globex.pdf", "Case-Study-Initech.pdf", "whitepaper-scoring.pdf", "ebook.pdf", "guide.docx", "whitepaper.docx"];
const SOURCES = [null, "ads", "organic", "email", "linkedin", "google", "facebook", " ADS "];

function target(random: Draw, type: string): string | null {
  switch (type) {
    case "visit":
      return pick(random, PAGES);
    case "download":
      return pick(random, DOCUMENTS);
    case "email_open":
    case "subscribe":
      return pick(random, ["newsletter", "Newsletter", "promo"]);
    case "email_click":
      return pick(random, ["https://acme.com/pricing?utm=mail", "/blog/x", "/webinars"]);
    case "form_submit":
      return pick(random, ["/contact-us", "/contact", "/newsletter"]);
    default:
      return random() < 0.5 ? null : "/app";
  }
}

function properties(random: Draw, type: string): Record<string, unknown> {
  switch (type) {
    case "visit":
      return random() < 0.2 ? { plan: pick(random, ["enterprise", "Enterprise ", "team"]) } : {};
    case "download":
      return { pages: pick<unknown>(random, [4, 12, 20, 36, "24", "many"]) };
    case "webinar":
      return { minutes: pick<unknown>(random, [5, 20, 30, 45, "60", "90", "a while"]) };
    case "product_usage":
      return { feature: pick(random, ["reports", "API", "dashboard", "export"]) };
    default:
      return {};
  }
}

function typeOf(random: Draw): string {
  let r = random() * TOTAL_WEIGHT;
  for (const [weight, type] of TYPE_WEIGHTS) {
    r -= weight;
    if (r < 0) return type;
  }
  return "page_scroll";
}

export interface BenchLead {
  lead: LeadFields;
  /** In arrival order: mostly chronological, about 5% late. */
  interactions: InteractionFacts[];
}

/** The 1,000 leads and their 100 interactions each, the same on every run. */
export function generateLeads(seed = 42): BenchLead[] {
  const random = prng(seed);
  let seq = 0;
  const leads: BenchLead[] = [];
  for (let l = 0; l < LEADS; l++) {
    const lead: LeadFields = {
      email: random() < 0.3 ? `lead${l}@gmail.com` : `lead${l}@acme${l % 50}.com`,
      firstName: random() < 0.6 ? `Lead${l}` : null,
      role: pick(random, [null, "Marketing Director", "VP Sales", "Head of Growth", "CEO", "cto", "Engineer", "  "]),
      companySize: random() < 0.2 ? null : Math.floor(random() * 3000),
      industry: pick(random, [null, "SaaS", "software ", "Retail", "Banking"]),
      country: pick(random, [null, "US", "gb", "DE", "FR", "ES", "JP"]),
      source: pick(random, [null, "referral", "ads", "organic"]),
      attributes: random() < 0.3 ? { plan: pick(random, ["enterprise", "team", "free"]) } : {},
    };
    const start = NOW.getTime() - 180 * DAY;
    let t = start;
    const interactions: InteractionFacts[] = [];
    for (let i = 0; i < INTERACTIONS_PER_LEAD; i++) {
      t += Math.floor(random() * 1.8 * DAY);
      const late = random() < 0.05 ? Math.floor(random() * 10 * DAY) : 0;
      const type = typeOf(random);
      seq++;
      interactions.push({
        id: `ix${seq}`,
        seq,
        type,
        target: target(random, type),
        source: pick(random, SOURCES),
        properties: properties(random, type),
        occurredAt: new Date(Math.min(t - late, NOW.getTime())),
      });
    }
    leads.push({ lead, interactions });
  }
  return leads;
}

/** A model of `n` varied rules (activity rules with patterns, where, limits; fit rules). */
export function generateLargeModel(n: number, seed = 7): string {
  const random = prng(seed);
  const types = ["visit", "download", "email_open", "email_click", "webinar", "form_submit", "ad_click", "product_usage"];
  const lines = ["funnel Subscriber > Lead > MQL > SQL > Opportunity > Customer | Other"];
  for (let i = 0; i < n; i++) {
    const points = `+${1 + Math.floor(random() * 30)}`;
    if (i % 5 === 4) {
      const fit = pick(random, [
        `role contains "Director ${i}"`,
        `companySize >= ${i}`,
        `industry in ["SaaS ${i}", "Software"]`,
        `attributes.plan = "tier-${i}" and country != "FR"`,
        `email endsWith "@domain${i}.com" or source = "partner-${i}"`,
      ]);
      lines.push(`rule "Fit ${i}": ${fit} => ${points}`);
      continue;
    }
    const type = pick(random, types);
    const pattern = pick(random, ["", ` "/page-${i}"`, ` "/section-${i}/*"`, ` "doc-${i}*.pdf"`]);
    const where = pick(random, ["", ` where source = "src-${i}"`, ` where properties.minutes >= ${i % 90}`, ` where target contains "x${i}"`]);
    const frequency = random() < 0.1 ? ` at least ${2 + (i % 3)} times within ${1 + (i % 14)} days` : "";
    const modifier = pick(random, ["", " once", ` max ${1 + (i % 9)}`, ` expires after ${1 + (i % 90)} days`, ` max 3 expires after ${1 + (i % 30)} days`]);
    lines.push(`rule "Rule ${i}": ${type}${pattern}${where}${frequency} => ${points}${modifier}`);
  }
  lines.push("stage Lead when firstName is set", "stage MQL when score >= 50", "stage SQL when score >= 100 and has demo_request");
  return `${lines.join("\n")}\n`;
}

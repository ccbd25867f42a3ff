/**
 * What the words of the rule language mean, in a sentence each: the detail of a completion and the
 * text of a hover. One table, so the editor's two views of a word never disagree. The language
 * reference (`docs/language.md`) is the long form.
 */
import { LEAD_FIELDS, NUMBER_LEAD_FIELDS, type LeadField } from "../model";

/** Every keyword, with what it does and a short example. */
export const KEYWORDS: Readonly<Record<string, { detail: string; example: string }>> = {
  funnel: { detail: "Declares the funnel: the ordered stages, then off-path stages after |.", example: "funnel Subscriber > Lead > MQL > SQL | Other" },
  stage: { detail: "A stage rule: the condition that moves a lead forward to this stage.", example: "stage MQL when score >= 50" },
  when: { detail: "Starts a stage rule's condition.", example: "stage MQL when score >= 50" },
  rule: { detail: "Names a score rule (names are unique, ignoring case).", example: 'rule "Demo request": demo_request => +30' },
  where: { detail: "Tests the interaction of an activity rule: target, source, properties.<key>, lead.<field>.", example: 'webinar where properties.minutes >= 30 => +10' },
  at: { detail: "Starts a frequency: the rule awards only on the K-th matching interaction within a window.", example: 'visit "/pricing" at least 3 times within 7 days => +20' },
  least: { detail: "Part of at least K times within D.", example: 'visit "/pricing" at least 3 times within 7 days => +20' },
  times: { detail: "Part of at least K times within D.", example: 'visit "/pricing" at least 3 times within 7 days => +20' },
  within: { detail: "The window of at least K times within D.", example: 'visit "/pricing" at least 3 times within 7 days => +20' },
  once: { detail: "The rule awards at most once per lead (max 1).", example: 'subscribe "newsletter" => +5 once' },
  max: { detail: "At most N awards per lead still counting (a rule), or a cap on the sum of a group's points.", example: 'visit "/blog/*" => +2 max 5' },
  expires: { detail: "An award counts until this long after its interaction.", example: "webinar => +10 expires after 90 days" },
  after: { detail: "Part of expires after D.", example: "webinar => +10 expires after 90 days" },
  decays: { detail: "An award keeps (100 − r)% of its value at each full period, rounded toward zero.", example: 'visit "/pricing" => +15 decays 50% every 30 days' },
  every: { detail: "The period of decays r% every D.", example: 'visit "/pricing" => +15 decays 50% every 30 days' },
  group: { detail: "Gathers score rules under a name (optionally capped); in a stage rule, that group's points.", example: 'group "Product A" max 60 { visit "/product-a/*" => +10 }' },
  and: { detail: "Both conditions hold.", example: 'role contains "Director" and companySize >= 50 => +10' },
  or: { detail: "At least one of the conditions holds.", example: 'industry = "SaaS" or industry = "Software" => +10' },
  not: { detail: "The condition does not hold (also not in, is not set).", example: 'not country in ["FR", "DE"] => +5' },
  in: { detail: "The field equals one of the listed values.", example: 'industry in ["SaaS", "Software"] => +10' },
  is: { detail: "Tests whether a field has a value: is set, is not set.", example: "stage Lead when firstName is set" },
  set: { detail: "Part of is set / is not set: a field that is absent, null or blank is not set.", example: "stage Lead when firstName is set" },
  has: { detail: "In a stage rule: the lead has ever had such an interaction (optionally with a target pattern).", example: "stage SQL when score >= 100 and has demo_request" },
  contains: { detail: "Text comparison: the field contains the text (case-insensitive).", example: 'role contains "Director" => +10' },
  startsWith: { detail: "Text comparison: the field starts with the text (case-insensitive).", example: 'country startsWith "U" => +1' },
  endsWith: { detail: "Text comparison: the field ends with the text (case-insensitive).", example: 'email endsWith "@gmail.com" => -15' },
  score: { detail: "The lead's score: fit + engagement (a number; stage rules only).", example: "stage MQL when score >= 50" },
  fit: { detail: "The lead's fit: the points of the fit rules that hold (a number; stage rules only).", example: "stage SQL when fit >= 20" },
  engagement: { detail: "The lead's engagement: the activity points still counting (a number; stage rules only).", example: "stage MQL when engagement >= 30" },
  minute: { detail: "A duration unit: 60 seconds.", example: "expires after 30 minutes" },
  hour: { detail: "A duration unit: 60 minutes.", example: "at least 3 times within 2 hours" },
  day: { detail: "A duration unit: 24 hours (UTC).", example: "expires after 90 days" },
  week: { detail: "A duration unit: 7 days.", example: "decays 25% every 2 weeks" },
};

/** The keyword a token's text stands for (`days` → `day`), or undefined. */
export function keywordOf(text: string): string | undefined {
  if (Object.prototype.hasOwnProperty.call(KEYWORDS, text)) return text;
  const singular = /^(minute|hour|day|week)s$/.exec(text);
  return singular ? singular[1] : undefined;
}

/** What each lead field holds. */
export const LEAD_FIELD_DETAILS: Readonly<Record<LeadField, string>> = {
  email: "The lead's email address.",
  firstName: "The lead's first name.",
  lastName: "The lead's last name.",
  role: "The lead's job title, e.g. Marketing Director.",
  company: "The lead's company.",
  industry: "The company's industry, e.g. SaaS.",
  companySize: "The number of employees of the lead's company.",
  country: "The lead's country.",
  source: "Where the lead came from, e.g. webinar or partner.",
};

/** `text` or `number`: what a lead field may be compared with. */
export function leadFieldType(field: LeadField): "text" | "number" {
  return NUMBER_LEAD_FIELDS.has(field) ? "number" : "text";
}

export const LEAD_FIELD_SET: ReadonlySet<string> = new Set(LEAD_FIELDS);

/** What `where` may test besides `lead.<field>` and `properties.<key>`. */
export const INTERACTION_FIELDS: Readonly<Record<string, string>> = {
  target: "The interaction's target (a page, a file, a list), normalised: a URL's path without query, fragment or trailing /.",
  source: "Where the interaction came from, e.g. a campaign.",
};

/** The prefixes of untyped paths. */
export const PATH_PREFIXES: Readonly<Record<string, string>> = {
  attributes: "A custom attribute of the lead (attributes.<key>): untyped, compared as a number when it is one.",
  properties: "A property of the interaction (properties.<key>, in where): untyped, compared as a number when it is one.",
  lead: "The lead's fields inside where: lead.<field> or lead.attributes.<key>.",
};

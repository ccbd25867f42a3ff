/**
 * Section (d): the read path. A page of leads with their 10 latest interactions (each with its
 * awards), stage history and score breakdown, for `first: 10` and `first: 100`: the SQL
 * statements the service sends (counted by the DataSource's logger, as the N+1 test does) must not
 * grow with the page, and the latency is measured over repeated requests.
 */
import { performance } from "node:perf_hooks";
import type { Pool } from "pg";
import { type BenchApp, schemaHas } from "./service-env";
import { createLeads, generateWork, inputOf, type SchemaShape } from "./service-workload";
import { type Comparison, fmtInt, fmtMs, fmtRatio, out, percentile } from "./table";

const REQUESTS = 20;

export function pageQuery(awards: boolean, breakdown: boolean): string {
  return `query Page($first: Int!) {
  leads(first: $first) {
    edges { node {
      id email score fit engagement stage
      interactions(first: 10) { edges { node { type target occurredAt points${awards ? " awards { rule points }" : ""} } } }
      stageHistory { from to at cause rule }${breakdown ? "\n      scoreBreakdown { rule category points count }" : ""}
    } }
  }
}`;
}

interface Page {
  leads: { edges: Array<{ node: { interactions: { edges: unknown[] } } }> };
}

/** When (d) runs alone: 120 leads with 12 interactions each, recorded through the API. */
async function ensurePage(app: BenchApp, pool: Pool, shape: SchemaShape): Promise<void> {
  const { rows } = await pool.query(`SELECT count(*)::int AS leads FROM lead`);
  if (rows[0].leads >= 100) return;
  const ids = await createLeads(pool, shape, 120, "d");
  const work = generateWork(120 * 12, 120, 5, new Date(Date.now() - 3_600_000), "d");
  for (let i = 0; i < work.length; i += 1000) {
    await app.request(`mutation RecordBatch($inputs: [InteractionInput!]!) { recordInteractions(inputs: $inputs) { duplicate } }`, {
      inputs: work.slice(i, i + 1000).map((item) => inputOf(item, ids)),
    });
  }
}

export async function benchLeadsPage(app: BenchApp, pool: Pool, shape: SchemaShape): Promise<Comparison[]> {
  await ensurePage(app, pool, shape);
  const awards = await schemaHas(app, "Interaction", "awards");
  const breakdown = await schemaHas(app, "Lead", "scoreBreakdown");
  const query = pageQuery(awards, breakdown);
  const missing = [!awards && "Interaction.awards", !breakdown && "Lead.scoreBreakdown"].filter(Boolean);
  out(`(d) leads(first: 10 | 100) { … interactions(first: 10) { … awards } stageHistory scoreBreakdown }, ordered by score`);
  out(`    baseline: the same query for a page of 10`);
  if (missing.length > 0) out(`    not in the schema yet, left out of the query: ${missing.join(", ")}`);

  const fetchPage = async (first: number) => {
    const data = await app.request<Page>(query, { first });
    if (data.leads.edges.length !== first) throw new Error(`(d): asked for ${first} leads, got ${data.leads.edges.length}`);
    return data;
  };
  // Fewest statements of three requests: a background task of the service may add some to one.
  const statements = async (first: number) => {
    let fewest = Infinity;
    for (let i = 0; i < 3; i++) {
      const before = app.app.queries.count;
      await fetchPage(first);
      fewest = Math.min(fewest, app.app.queries.count - before);
    }
    return fewest;
  };
  const latencies = async (first: number) => {
    const ms: number[] = [];
    for (let i = 0; i < REQUESTS; i++) {
      const started = performance.now();
      await fetchPage(first);
      ms.push(performance.now() - started);
    }
    return ms;
  };

  const page = await fetchPage(100);
  const shown = page.leads.edges.reduce((sum, e) => sum + e.node.interactions.edges.length, 0);
  const ten = await statements(10);
  const hundred = await statements(100);
  const l10 = await latencies(10);
  const l100 = await latencies(100);
  out(`    a page of 100 shows ${fmtInt(shown)} interactions`);
  const latency = (p: number) => {
    const a = percentile(l100, p);
    const b = percentile(l10, p);
    return { figure: `latency p${p} (${REQUESTS} requests)`, product: fmtMs(a), baseline: fmtMs(b), ratio: fmtRatio(a / b), target: "", met: null };
  };
  return [
    { figure: "SQL statements per request", product: String(hundred), baseline: String(ten), ratio: fmtRatio(hundred / ten), target: "equal", met: hundred === ten },
    latency(50),
    latency(99),
  ];
}

/**
 * `npm run bench:dsl`: how fast a compiled model scores, against the practical limit (the same 40
 * rules written by hand in TypeScript) and a general rule engine (json-rules-engine 7.3.1), on the
 * same 100,000 interactions in one process; and how long compiling a 1,000-rule model takes.
 *
 * Speeds are per second of the process's CPU time (best of several passes), so that other work on
 * the machine does not skew the ratios; compile times are wall-clock medians.
 *
 * An evaluation is one interaction scored by every rule of its type (caps, windows and expiry
 * included) as the canonical replay does it, lead by lead, producing the award ledger and the
 * totals. Every engine must produce the same ledger and totals for every lead, or the run fails.
 */
import { performance } from "node:perf_hooks";
import { compile, compileChecked } from "../src/dsl/compiler";
import { check } from "../src/dsl/checker";
import type { CompiledModel } from "../src/dsl/model";
import { parse } from "../src/dsl/parse";
import { complete, diagnose } from "../src/dsl/services";
import { scoreByHand, type BenchResult } from "./hand-written";
import { jsonRulesScorer } from "./json-rules";
import { fmtInt, fmtRatio, out, percentile, printTable, verdict } from "./table";
import { BENCH_MODEL, generateLargeModel, generateLeads, INTERACTIONS_PER_LEAD, LEADS, NOW, type BenchLead } from "./workload";

const TARGETS = { vsHand: 0.5, vsJsonRules: 20, compileMs: 100, editorMs: 50 };
/** The editor's model: 300 rules, as the web workbench runs the services on each keystroke. */
const EDITOR_RULES = 300;
const EDITOR_RUNS = 21;
const ROUNDS = 5;
const COMPILE_RUNS = 9;
const TOTAL = LEADS * INTERACTIONS_PER_LEAD;

type Scorer = (lead: BenchLead) => BenchResult | Promise<BenchResult>;

/** Milliseconds of CPU this process has used: steadier than wall time on a shared machine. */
function cpuMs(): number {
  const { user, system } = process.cpuUsage();
  return (user + system) / 1000;
}

/** Best of `rounds` passes over every lead, in evaluations per CPU second; the results of the last. */
async function measure(scorer: Scorer, leads: readonly BenchLead[], rounds: number): Promise<{ rate: number; results: BenchResult[] }> {
  let best = Infinity;
  let results: BenchResult[] = [];
  for (let r = 0; r < rounds; r++) {
    const started = cpuMs();
    const round: BenchResult[] = [];
    for (const lead of leads) round.push(await scorer(lead));
    best = Math.min(best, cpuMs() - started);
    results = round;
  }
  return { rate: (leads.length * INTERACTIONS_PER_LEAD) / (best / 1000), results };
}

const ledgerKey = (r: BenchResult) =>
  r.awards
    .map((a) => `${a.interactionId}:${a.ruleIndex}:${a.points}:${a.expiresAt?.getTime() ?? "-"}`)
    .sort()
    .join(",");

function disagreements(name: string, expected: readonly BenchResult[], actual: readonly BenchResult[]): string[] {
  const problems: string[] = [];
  expected.forEach((e, i) => {
    const a = actual[i];
    if (a.fit !== e.fit || a.engagement !== e.engagement || a.score !== e.score || ledgerKey(a) !== ledgerKey(e)) {
      problems.push(`${name} disagrees on lead ${i}: score ${a.score} (fit ${a.fit}) vs compiled ${e.score} (fit ${e.fit})`);
    }
  });
  return problems;
}

const median = (values: number[]) => percentile(values, 50);

async function main(): Promise<number> {
  const { model, diagnostics } = compile(BENCH_MODEL);
  if (model === null) throw new Error(`the benchmark model does not compile: ${JSON.stringify(diagnostics)}`);
  const compiled: CompiledModel = model;
  const names = compiled.rules.map((r) => r.name);
  const leads = generateLeads();

  const compiledScorer: Scorer = ({ lead, interactions }) => {
    const e = compiled.replay(lead, interactions, NOW);
    return { fit: e.fit, engagement: e.engagement, score: e.score, awards: e.awards };
  };
  const handScorer: Scorer = ({ lead, interactions }) => scoreByHand(lead, interactions, NOW, names);
  const jsonRules = jsonRulesScorer(names);
  const jsonRulesEngine: Scorer = ({ lead, interactions }) => jsonRules(lead, interactions, NOW);

  // Warm up every engine on a slice, then measure.
  for (const scorer of [compiledScorer, handScorer, jsonRulesEngine]) await measure(scorer, leads.slice(0, 50), 2);
  const c = await measure(compiledScorer, leads, ROUNDS);
  const h = await measure(handScorer, leads, ROUNDS);
  const j = await measure(jsonRulesEngine, leads, 1);
  const problems = [...disagreements("hand-written", c.results, h.results), ...disagreements("json-rules-engine", c.results, j.results)];

  const large = generateLargeModel(1_000);
  const fullMs: number[] = [];
  const backEndMs: number[] = [];
  for (let r = 0; r < COMPILE_RUNS; r++) {
    let started = performance.now();
    const result = compile(large);
    fullMs.push(performance.now() - started);
    if (result.model === null) throw new Error(`the 1,000-rule model does not compile: ${JSON.stringify(result.diagnostics.slice(0, 3))}`);
    const checked = check(parse(large).ast, large).checked!;
    started = performance.now();
    compileChecked(checked);
    backEndMs.push(performance.now() - started);
  }

  // Editor services on a 300-rule model: diagnostics of the whole text, completion at the end of
  // a line in the middle (a stage condition being written) and after the last rule.
  const editorModel = generateLargeModel(EDITOR_RULES);
  const middle = editorModel.indexOf("\n", editorModel.length >> 1);
  const typed = `${editorModel.slice(0, middle)}\nstage SQL when score >= 10 and ${editorModel.slice(middle)}`;
  const typedAt = middle + "\nstage SQL when score >= 10 and ".length;
  // CPU time per call (like the rates above): on a shared machine, wall time mostly measures the neighbours.
  const diagnoseMs: number[] = [];
  const completeMs: number[] = [];
  const editorWallMs: number[] = [];
  for (let r = 0; r < EDITOR_RUNS; r++) {
    const wall = performance.now();
    let started = cpuMs();
    diagnose(typed);
    diagnoseMs.push(cpuMs() - started);
    editorWallMs.push(performance.now() - wall);
    started = cpuMs();
    const items = complete(typed, typedAt).items.length + complete(editorModel, editorModel.length).items.length;
    completeMs.push((cpuMs() - started) / 2);
    if (items === 0) throw new Error("completion on the 300-rule model offered nothing");
  }

  const vsHand = c.rate / h.rate;
  const vsJsonRules = c.rate / j.rate;
  const compileMs = median(fullMs);
  out(`Qualify rule engine benchmark: ${compiled.rules.length}-rule model, ${TOTAL.toLocaleString("en-US")} interactions of ${LEADS.toLocaleString("en-US")} leads (node ${process.version})`);
  out();
  printTable(
    [{ header: "engine" }, { header: "evaluations/s", align: "right" }, { header: "compiled is", align: "right" }],
    [
      ["compiled model (replay)", c.rate],
      ["hand-written TypeScript", h.rate],
      ["json-rules-engine 7.3.1", j.rate],
    ].map(([name, rate]) => [name as string, fmtInt(rate as number), fmtRatio(c.rate / (rate as number))]),
  );
  out();
  out(`compile 1,000 rules (parse + check + compile): median ${compileMs.toFixed(1)} ms of ${COMPILE_RUNS}; back end alone ${median(backEndMs).toFixed(1)} ms`);
  const diagnoseMedian = median(diagnoseMs);
  const completeMedian = median(completeMs);
  out(
    `editor services on ${EDITOR_RULES} rules (${EDITOR_RUNS} runs, CPU ms): diagnose median ${diagnoseMedian.toFixed(1)} (p95 ${percentile(diagnoseMs, 95).toFixed(1)}; wall median ${median(editorWallMs).toFixed(1)}), ` +
      `complete median ${completeMedian.toFixed(1)} (p95 ${percentile(completeMs, 95).toFixed(1)})`,
  );
  out();
  printTable(
    [{ header: "target" }, { header: "measured", align: "right" }, { header: "verdict" }],
    [
      [`compiled ≥ ${TARGETS.vsHand}× hand-written`, fmtRatio(vsHand), verdict(vsHand >= TARGETS.vsHand)],
      [`compiled ≥ ${TARGETS.vsJsonRules}× json-rules-engine`, `${vsJsonRules.toFixed(1)}×`, verdict(vsJsonRules >= TARGETS.vsJsonRules)],
      [`compiling 1,000 rules < ${TARGETS.compileMs} ms`, `${compileMs.toFixed(1)} ms`, verdict(compileMs < TARGETS.compileMs)],
      [`diagnostics, ${EDITOR_RULES} rules < ${TARGETS.editorMs} ms`, `${diagnoseMedian.toFixed(1)} ms`, verdict(diagnoseMedian < TARGETS.editorMs)],
      [`completion, ${EDITOR_RULES} rules < ${TARGETS.editorMs} ms`, `${completeMedian.toFixed(1)} ms`, verdict(completeMedian < TARGETS.editorMs)],
    ],
  );
  out();
  if (problems.length > 0) {
    out(`the engines disagree (${problems.length} leads):`);
    for (const p of problems.slice(0, 10)) out(`  ${p}`);
    return 1;
  }
  out(`all three engines agree on the ledger and totals of all ${LEADS.toLocaleString("en-US")} leads`);
  return 0;
}

main().then(
  (code) => {
    process.exitCode = code;
  },
  (err: unknown) => {
    process.stderr.write(`${err instanceof Error ? (err.stack ?? err.message) : String(err)}\n`);
    process.exitCode = 2;
  },
);

/**
 * `npm run check:cycles`: the import cycles among the TypeScript files of a folder (`src/` unless
 * one is given). Exits 1 when there is one, else 0 with "no import cycles in N files".
 *
 * Every import counts, `import type` and `export … from` included (a type-only cycle is no runtime
 * problem, but it still ties the modules together): `ts.preProcessFile` lists a file's module
 * specifiers without type-checking. Relative ones are resolved to files in the folder (`x.ts`,
 * `x.tsx`, `x/index.ts`); packages, and files outside the folder, are not followed.
 *
 * The files that import each other form strongly connected components (Tarjan). For each, the
 * report prints shortest cycles as chains (`a.ts → b.ts → a.ts`) until every import inside the
 * component is in one: fixing all the chains printed removes the component.
 */
import { existsSync, readdirSync, readFileSync, statSync } from "node:fs";
import { dirname, join, relative, resolve, sep } from "node:path";
import * as ts from "typescript";

/** The import graph of a folder: file → files it imports, both relative to the folder, with `/`. */
export type ImportGraph = ReadonlyMap<string, readonly string[]>;

export interface CycleReport {
  /** How many files were read. */
  files: number;
  /** Files that import each other, directly or not: one array per component, sorted. */
  components: string[][];
  /** Chains that start and end with the same file, e.g. ["a.ts", "b.ts", "a.ts"]. */
  cycles: string[][];
}

const SOURCE = /\.tsx?$/;

/** Every `.ts`/`.tsx` file under `root` (not `node_modules`), absolute, sorted. */
function sourceFiles(root: string): string[] {
  const found: string[] = [];
  const walk = (dir: string): void => {
    for (const entry of readdirSync(dir, { withFileTypes: true })) {
      const path = join(dir, entry.name);
      if (entry.isDirectory()) {
        if (entry.name !== "node_modules") walk(path);
      } else if (entry.isFile() && SOURCE.test(entry.name)) {
        found.push(path);
      }
    }
  };
  walk(root);
  return found.sort();
}

/** The file a relative specifier names, if it is one of `files`. */
function resolveRelative(fromFile: string, specifier: string, files: ReadonlySet<string>): string | undefined {
  const base = resolve(dirname(fromFile), specifier);
  const stem = base.replace(/\.(?:js|jsx)$/, ""); // `./x.js` names `x.ts` under node16 resolution
  const candidates = [base, `${stem}.ts`, `${stem}.tsx`, join(base, "index.ts"), join(base, "index.tsx")];
  return candidates.find((candidate) => files.has(candidate));
}

/** The import graph of the `.ts` files under `root` (see the module comment for what counts). */
export function importGraph(root: string): ImportGraph {
  const absoluteRoot = resolve(root);
  const files = sourceFiles(absoluteRoot);
  const known = new Set(files);
  const name = (file: string) => relative(absoluteRoot, file).split(sep).join("/");
  const graph = new Map<string, string[]>();
  for (const file of files) {
    const { importedFiles } = ts.preProcessFile(readFileSync(file, "utf8"), true, true);
    const targets = new Set<string>();
    for (const { fileName: specifier } of importedFiles) {
      if (!specifier.startsWith("./") && !specifier.startsWith("../") && specifier !== "." && specifier !== "..") continue;
      const target = resolveRelative(file, specifier, known);
      if (target !== undefined) targets.add(name(target));
    }
    graph.set(name(file), [...targets].sort());
  }
  return graph;
}

/** Tarjan's strongly connected components that hold a cycle (two files or more, or a file importing itself). */
export function cyclicComponents(graph: ImportGraph): string[][] {
  const index = new Map<string, number>();
  const lowLink = new Map<string, number>();
  const stack: string[] = [];
  const onStack = new Set<string>();
  const components: string[][] = [];
  const connect = (file: string): void => {
    index.set(file, index.size);
    lowLink.set(file, index.get(file)!);
    stack.push(file);
    onStack.add(file);
    for (const target of graph.get(file) ?? []) {
      if (!index.has(target)) {
        connect(target);
        lowLink.set(file, Math.min(lowLink.get(file)!, lowLink.get(target)!));
      } else if (onStack.has(target)) {
        lowLink.set(file, Math.min(lowLink.get(file)!, index.get(target)!));
      }
    }
    if (lowLink.get(file) !== index.get(file)) return;
    const component: string[] = [];
    let member: string;
    do {
      member = stack.pop()!;
      onStack.delete(member);
      component.push(member);
    } while (member !== file);
    if (component.length > 1 || (graph.get(file) ?? []).includes(file)) components.push(component.sort());
  };
  for (const file of [...graph.keys()].sort()) if (!index.has(file)) connect(file);
  return components.sort((a, b) => (a[0] < b[0] ? -1 : 1));
}

/** The shortest chain of imports from `from` to `to` that stays inside `within` (breadth first). */
function shortestPath(graph: ImportGraph, from: string, to: string, within: ReadonlySet<string>): string[] {
  const cameFrom = new Map<string, string | null>([[from, null]]);
  const queue = [from];
  for (let i = 0; i < queue.length && !cameFrom.has(to); i++) {
    for (const target of graph.get(queue[i]) ?? []) {
      if (within.has(target) && !cameFrom.has(target)) {
        cameFrom.set(target, queue[i]);
        queue.push(target);
      }
    }
  }
  const path: string[] = [];
  for (let at: string | null = to; at !== null; at = cameFrom.get(at)!) path.unshift(at);
  return path;
}

/**
 * Cycles that together take in every import inside the component: for each import `a → b` not yet
 * in a printed cycle, the shortest way back from `b` to `a`.
 */
function cyclesOf(graph: ImportGraph, component: readonly string[]): string[][] {
  const members = new Set(component);
  const covered = new Set<string>();
  const cycles: string[][] = [];
  for (const file of component) {
    for (const target of graph.get(file) ?? []) {
      if (!members.has(target) || covered.has(`${file}\0${target}`)) continue;
      const cycle = [file, ...shortestPath(graph, target, file, members)];
      for (let i = 0; i + 1 < cycle.length; i++) covered.add(`${cycle[i]}\0${cycle[i + 1]}`);
      cycles.push(cycle);
    }
  }
  return cycles;
}

/** The import cycles among the `.ts` files under `root`. */
export function findImportCycles(root: string): CycleReport {
  const graph = importGraph(root);
  const components = cyclicComponents(graph);
  return { files: graph.size, components, cycles: components.flatMap((component) => cyclesOf(graph, component)) };
}

/** The report as printed: one chain a line, then a one-line summary. */
export function formatReport(report: CycleReport, prefix = ""): string {
  if (report.cycles.length === 0) return `no import cycles in ${report.files} files`;
  const chains = report.cycles.map((cycle) => cycle.map((file) => prefix + file).join(" → "));
  const inComponents = report.components.reduce((sum, component) => sum + component.length, 0);
  const summary =
    `${report.cycles.length} import cycle${report.cycles.length === 1 ? "" : "s"} ` +
    `(${report.components.length} group${report.components.length === 1 ? "" : "s"} of files that import each other, ` +
    `${inComponents} of ${report.files} files)`;
  return [...chains, summary].join("\n");
}

function main(argv: readonly string[]): number {
  const root = argv[0] ?? "src";
  if (!existsSync(root) || !statSync(root).isDirectory()) {
    console.error(`check-cycles: ${root} is not a folder`);
    return 2;
  }
  const report = findImportCycles(root);
  const prefix = `${relative(process.cwd(), resolve(root)).split(sep).join("/")}/`.replace(/^\/$/, "");
  console.log(formatReport(report, prefix));
  return report.cycles.length === 0 ? 0 : 1;
}

if (require.main === module) process.exitCode = main(process.argv.slice(2));

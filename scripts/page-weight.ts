/**
 * The workbench's first page weight: the JavaScript a browser loads for the page at `/` before any
 * page of the app is opened (the entry module of dist/web/index.html, its preloads, and every
 * module they import statically), as the service sends it (the Brotli copies), against the budget
 * of 300 kB. The pages (model editor, leads, lead, funnel, admin) are imported dynamically and
 * load when first opened: they are not counted. `npm run bench` prints it; test/unit/page-weight.spec.ts
 * fails the tests when it is over.
 */
import fs from "node:fs";
import path from "node:path";
import { projectRoot } from "../src/project-root";

/** Compressed kilobytes (1,000 bytes) of JavaScript the first page may load. */
export const FIRST_PAGE_BUDGET_KB = 300;

export interface PageWeight {
  /** The first page's JS files (under dist/web), with their size as built and as sent (Brotli). */
  files: Array<{ file: string; bytes: number; brotliBytes: number }>;
  brotliBytes: number;
  bytes: number;
  /** Modules loaded only when a page is opened (dynamic imports), not counted. */
  lazy: string[];
}

const STATIC_IMPORT = /(?:^|[;}\n])\s*(?:import|export)\s*(?:[\w$*{}\s,]+from\s*)?[`"'](\.{1,2}\/[^`"']+\.js)[`"']/g;
const DYNAMIC_IMPORT = /\bimport\(\s*[`"'](\.{1,2}\/[^`"']+\.js)[`"']\s*\)/g;

/** Measures dist/web (built by `npm run build`). */
export function measurePageWeight(webDir = path.join(projectRoot(), "dist", "web")): PageWeight {
  const html = fs.readFileSync(path.join(webDir, "index.html"), "utf8");
  const entries = [
    ...[...html.matchAll(/<script[^>]*type="module"[^>]*src="([^"]+)"/g)].map((m) => m[1]),
    ...[...html.matchAll(/<link[^>]*rel="modulepreload"[^>]*href="([^"]+)"/g)].map((m) => m[1]),
  ].map((src) => path.join(webDir, src.replace(/^\//, "")));
  if (entries.length === 0) throw new Error(`no module script in ${path.join(webDir, "index.html")}`);
  const seen = new Set<string>();
  const lazy = new Set<string>();
  const queue = [...entries];
  while (queue.length > 0) {
    const file = queue.shift() as string;
    if (seen.has(file)) continue;
    seen.add(file);
    const code = fs.readFileSync(file, "utf8");
    for (const m of code.matchAll(STATIC_IMPORT)) queue.push(path.resolve(path.dirname(file), m[1]));
    for (const m of code.matchAll(DYNAMIC_IMPORT)) lazy.add(path.relative(webDir, path.resolve(path.dirname(file), m[1])));
  }
  const files = [...seen].map((file) => ({
    file: path.relative(webDir, file),
    bytes: fs.statSync(file).size,
    brotliBytes: fs.statSync(`${file}.br`).size,
  }));
  for (const f of files) lazy.delete(f.file);
  return {
    files,
    bytes: files.reduce((sum, f) => sum + f.bytes, 0),
    brotliBytes: files.reduce((sum, f) => sum + f.brotliBytes, 0),
    lazy: [...lazy].sort(),
  };
}

const kB = (bytes: number) => (bytes / 1000).toFixed(1);

if (require.main === module) {
  const weight = measurePageWeight();
  const out = (line: string) => process.stdout.write(`${line}\n`);
  out(`Workbench first page: ${kB(weight.brotliBytes)} kB of JavaScript as sent (Brotli), ${kB(weight.bytes)} kB as built; budget ${FIRST_PAGE_BUDGET_KB} kB`);
  for (const f of weight.files) out(`  ${f.file}: ${kB(f.brotliBytes)} kB (${kB(f.bytes)} kB)`);
  out(`  loaded when a page opens, not counted: ${weight.lazy.join(", ")}`);
  if (weight.brotliBytes > FIRST_PAGE_BUDGET_KB * 1000) {
    out(`OVER BUDGET by ${kB(weight.brotliBytes - FIRST_PAGE_BUDGET_KB * 1000)} kB`);
    process.exitCode = 1;
  }
}

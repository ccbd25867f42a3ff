/**
 * `npm run build`'s second step: builds the workbench (`npm run build -w web`: codegen, type check,
 * Vite) into dist/web, only when it is missing or older than what it is made of (web/, the rule
 * language in src/dsl that it bundles, schema.graphql its documents are checked against). With
 * nothing changed `npm start` starts at once instead of spending half a minute on Vite.
 * `--force` builds regardless.
 */
import { execFileSync } from "node:child_process";
import fs from "node:fs";
import path from "node:path";
import { projectRoot } from "../src/project-root";

/** Newest modification time under `dir` (generated code and installed packages left out). */
function newestMtime(dir: string): number {
  let newest = 0;
  for (const entry of fs.readdirSync(dir, { withFileTypes: true })) {
    if (entry.name === "node_modules" || entry.name === "gql") continue;
    const full = path.join(dir, entry.name);
    newest = Math.max(newest, entry.isDirectory() ? newestMtime(full) : fs.statSync(full).mtimeMs);
  }
  return newest;
}

/** Whether dist/web is at least as new as everything it is built from. */
export function webBuildIsCurrent(root = projectRoot()): boolean {
  const index = path.join(root, "dist", "web", "index.html");
  if (!fs.existsSync(index)) return false;
  const sources = Math.max(newestMtime(path.join(root, "web")), newestMtime(path.join(root, "src", "dsl")), fs.statSync(path.join(root, "schema.graphql")).mtimeMs);
  return fs.statSync(index).mtimeMs >= sources;
}

/** Builds the workbench unless it is current (or `force`); returns whether it built. */
export function buildWeb(options: { force?: boolean; root?: string; quiet?: boolean } = {}): boolean {
  const root = options.root ?? projectRoot();
  if (!options.force && webBuildIsCurrent(root)) return false;
  // Always the production build: under jest (NODE_ENV=test) Vite would bundle React's development build.
  execFileSync("npm", ["run", "build", "-w", "web"], { cwd: root, stdio: options.quiet ? "pipe" : "inherit", env: { ...process.env, NODE_ENV: "production" } });
  return true;
}

if (require.main === module) {
  const built = buildWeb({ force: process.argv.includes("--force") });
  if (!built) process.stdout.write("workbench: dist/web is up to date\n");
}

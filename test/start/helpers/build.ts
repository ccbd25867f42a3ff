/** The built project (`dist/`), as `npm start` and `npm run demo` run it. */
import { execFileSync } from "node:child_process";
import path from "node:path";

export const ROOT = path.resolve(__dirname, "../../..");
export const TSC = path.join(ROOT, "node_modules/typescript/bin/tsc");

/** Builds dist/ as `npm run build` does (the service, then the workbench): incrementally, so this is quick when dist/ is current. */
export function ensureBuilt(): void {
  execFileSync(process.execPath, [TSC, "-b", "tsconfig.build.json"], { cwd: ROOT });
  execFileSync(process.execPath, [path.join(ROOT, "dist/scripts/build-web.js")], { cwd: ROOT, stdio: "pipe" });
}

/**
 * The workbench in a real browser: Debian's Chromium (`/usr/bin/chromium`, installed by `.ci/run`;
 * nothing is downloaded) driven by playwright-core, against the service of the suite (the real
 * server on the database the jest project selects). One browser per suite, a fresh context (its
 * own sessionStorage/localStorage) per `page()`. `signIn` goes through the sign-in page as a
 * person does. `checkAccessibility` runs axe-core in the page and returns the serious and critical
 * violations. `screenshot` writes into docs/screenshots (the README shows them).
 */
import fs from "node:fs";
import path from "node:path";
import { type Browser, type BrowserContext, chromium, type Page } from "playwright-core";
import { buildWeb } from "../../../scripts/build-web";
import { ROOT } from "../../start/helpers/build";
import { type SuiteApp, useTestApp } from "../../api/helpers/test-app";

export const CHROMIUM = process.env.QUALIFY_CHROMIUM ?? "/usr/bin/chromium";
const CHROMIUM_ARGS = [
  "--headless",
  "--no-sandbox",
  "--disable-gpu",
  "--disable-quic",
  "--no-first-run",
  "--disable-background-networking",
  "--disable-component-update",
  "--disable-sync",
];
/** Builds the workbench (`npm run build -w web`) when dist/web is missing or older than web/, src/dsl or the schema. */
export function ensureWebBuilt(): void {
  buildWeb({ quiet: true });
}

export interface BrowserSuite extends SuiteApp {
  /** The service's origin (http://127.0.0.1:port). */
  readonly origin: string;
  /** A new page in a fresh context (its own storage), at `path` of the service. */
  page(path?: string): Promise<Page>;
  /** A new page signed in with `key` (the admin key by default), at `path`. */
  signedIn(path?: string, key?: string): Promise<Page>;
}

/** The service and a browser for the enclosing `describe` (declare it first). */
export function useBrowser(env: Record<string, string> = {}): BrowserSuite {
  const s = useTestApp(env);
  let browser: Browser | null = null;
  const contexts: BrowserContext[] = [];
  beforeAll(async () => {
    ensureWebBuilt();
    browser = await chromium.launch({ executablePath: CHROMIUM, args: CHROMIUM_ARGS, headless: true });
  }, 180_000);
  afterAll(async () => {
    await browser?.close();
  });
  afterEach(async () => {
    for (const context of contexts.splice(0)) await context.close().catch(() => undefined);
  });
  const origin = () => s.t.app.url.replace(/\/graphql$/, "");
  const suite: BrowserSuite = {
    get t() {
      return s.t;
    },
    get api() {
      return s.api;
    },
    get origin() {
      return origin();
    },
    async page(at = "/") {
      if (!browser) throw new Error("the browser has not started yet");
      const context = await browser.newContext({ viewport: { width: 1280, height: 860 } });
      contexts.push(context);
      const page = await context.newPage();
      await page.goto(`${origin()}${at}`);
      return page;
    },
    async signedIn(at = "/", key = s.api.key as string) {
      const page = await suite.page("/");
      await signIn(page, key);
      if (at !== "/") await page.goto(`${origin()}${at}`);
      return page;
    },
  };
  return suite;
}

/** Signs in through the form, as a person does, and waits for the navigation to appear. */
export async function signIn(page: Page, key: string): Promise<void> {
  await page.getByLabel("API key").fill(key);
  await page.getByRole("button", { name: "Sign in" }).click();
  await page.getByRole("navigation", { name: "Workbench" }).waitFor();
}

export interface AxeViolation {
  id: string;
  impact: string | null;
  help: string;
  nodes: string[];
}

/** axe-core run in the page: the serious and critical violations (empty: none). */
export async function checkAccessibility(page: Page): Promise<AxeViolation[]> {
  // Evaluated over the DevTools protocol: the page's CSP (script-src 'self') refuses an injected script tag.
  await page.evaluate(fs.readFileSync(require.resolve("axe-core/axe.min.js"), "utf8"));
  type AxeResult = { violations: Array<{ id: string; impact: string | null; help: string; nodes: Array<{ target: unknown[] }> }> };
  const violations = await page.evaluate(async () => {
    // Runs in the page (no DOM types here): axe-core's global, on the whole document.
    const scope = globalThis as unknown as { axe: { run: (ctx: unknown, opts: object) => Promise<AxeResult> }; document: unknown };
    const result = await scope.axe.run(scope.document, { resultTypes: ["violations"] });
    return result.violations.map((v) => ({ id: v.id, impact: v.impact, help: v.help, nodes: v.nodes.map((n) => JSON.stringify(n.target)) }));
  });
  return violations.filter((v) => v.impact === "serious" || v.impact === "critical");
}

/** A screenshot for the README (docs/screenshots/<name>.png), from the embedded-database run only. */
export async function screenshot(page: Page, name: string): Promise<void> {
  const dir = path.join(ROOT, "docs", "screenshots");
  fs.mkdirSync(dir, { recursive: true });
  await page.screenshot({ path: path.join(dir, `${name}.png`), fullPage: false });
}

/**
 * The funnel page in Chromium against the real service (a suite of its own: the only leads are
 * this suite's). Three leads reach Lead; a moment later two of them become MQL: the funnel now
 * and as of the moment between differ exactly as the service's own `funnel(asOf:)` says.
 */
import type { Page } from "playwright-core";
import { gql } from "../api/helpers/graphql-client";
import { testDatabase } from "../api/helpers/test-app";
import { checkAccessibility, screenshot, useBrowser } from "./helpers/browser";

interface Row {
  stage: string;
  leads: number;
  reached: number;
}

const RECORD = gql<{ recordInteractions: Array<{ lead: { stage: string } } | null> }, { inputs: unknown[] }>(
  `mutation ($inputs: [InteractionInput!]!) { recordInteractions(inputs: $inputs) { lead { stage } } }`,
);
const FUNNEL = gql<{ funnel: Row[] }, { asOf?: string }>(`query ($asOf: DateTime) { funnel(asOf: $asOf) { stage leads reached } }`);

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/** The funnel table's rows: stage, then the numbers of its cells. */
async function tableRows(page: Page): Promise<Array<[string, ...number[]]>> {
  const rows = page.getByRole("table", { name: "Funnel" }).locator("tbody tr");
  const out: Array<[string, ...number[]]> = [];
  for (const row of await rows.all()) {
    const stage = await row.getByRole("rowheader").innerText();
    const cells = await row.getByRole("cell").allInnerTexts();
    out.push([stage, ...cells.map((c) => (c === "–" ? Number.NaN : Number(c.replace("%", ""))))]);
  }
  return out;
}

describe("workbench funnel", () => {
  const s = useBrowser();

  it("shows the funnel now and as of a past instant, as a chart and a table, as the data says", async () => {
    const emails = ["ann", "ben", "col"].map((n) => `${n}-funnel@example.com`);
    await s.api.data(RECORD, { inputs: emails.map((email, n) => ({ email, lead: { email, firstName: `F${n}` }, type: "download" })) });
    // A whole second later than the leads (the page's "As of" is to the second), then two become MQL.
    await sleep(1100);
    const between = new Date(Math.floor(Date.now() / 1000) * 1000);
    await sleep(1100);
    const moved = await s.api.data(RECORD, { inputs: emails.slice(0, 2).map((email) => ({ email, type: "demo_request" })) });
    expect(moved.recordInteractions.map((p) => p?.lead.stage)).toEqual(["MQL", "MQL"]);

    const page = await s.signedIn("/funnel");
    const table = page.getByRole("table", { name: "Funnel" });
    await table.waitFor();
    const now = (await s.api.data(FUNNEL, {})).funnel;
    const then = (await s.api.data(FUNNEL, { asOf: between.toISOString() })).funnel;
    const byStage = (rows: Row[], stage: string) => rows.find((r) => r.stage === stage) as Row;
    expect([byStage(now, "Lead").leads, byStage(now, "MQL").leads, byStage(then, "Lead").leads, byStage(then, "MQL").leads]).toEqual([1, 2, 3, 0]);

    const shownNow = await tableRows(page);
    expect(shownNow.map(([stage, leads, reached]) => [stage, leads, reached])).toEqual(now.map((r) => [r.stage, r.leads, r.reached]));
    await page.getByRole("img", { name: /^Funnel chart\. Funnel now: Subscriber 0, Lead 1, MQL 2/ }).waitFor();
    expect(await checkAccessibility(page)).toEqual([]);

    // As of the instant between: typed as the person's local date and time, to the second.
    const local = await page.evaluate((ms) => {
      const d = new Date(ms);
      const two = (n: number) => String(n).padStart(2, "0");
      return `${d.getFullYear()}-${two(d.getMonth() + 1)}-${two(d.getDate())}T${two(d.getHours())}:${two(d.getMinutes())}:${two(d.getSeconds())}`;
    }, between.getTime());
    await page.getByLabel("As of", { exact: true }).fill(local);
    await page.getByRole("button", { name: "Show funnel" }).click();
    // The as-of table (its first column names the instant; "In stage now" is the first column's
    // name in the table of now, so waiting for that header alone could read the old table).
    await page.getByRole("columnheader", { name: /^In stage as of / }).waitFor();
    await page.getByRole("columnheader", { name: "In stage now" }).waitFor();
    const shownThen = await tableRows(page);
    expect(shownThen.map(([stage, leads, reached, , inStageNow]) => [stage, leads, reached, inStageNow])).toEqual(
      then.map((r) => [r.stage, r.leads, r.reached, byStage(now, r.stage).leads]),
    );
    // The input's value, which the URL keeps, leaves out zero seconds (Chromium: "10:55", not "10:55:00").
    expect(new URL(page.url()).searchParams.get("asOf")).toBe(local.endsWith(":00") ? local.slice(0, -3) : local);
    if (testDatabase() === "embedded") await screenshot(page, "funnel");

    // A reload shows the same; an instant in the future is refused in words.
    await page.reload();
    await page.getByRole("columnheader", { name: /^In stage as of / }).waitFor();
    expect(await tableRows(page)).toEqual(shownThen);
    await page.getByLabel("As of", { exact: true }).fill("2999-01-01T00:00:00");
    await page.getByRole("button", { name: "Show funnel" }).click();
    await page.getByRole("alert").filter({ hasText: "“As of” is in the future" }).waitFor();

    // A period with none of the leads: every stage empty.
    await page.goto(`${s.origin}/funnel?since=2001-01-01&until=2001-12-31`);
    await page.getByRole("status").filter({ hasText: "Funnel now: Subscriber 0, Lead 0, MQL 0" }).waitFor();
  });
});

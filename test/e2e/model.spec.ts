/**
 * The model page in Chromium against the real service: problems as one types and their fixes,
 * completion, preview, publish, history with a diff, rollback, the draft across a reload, and what
 * a key without admin sees.
 */
import fs from "node:fs";
import type { Page } from "playwright-core";
import { gql } from "../api/helpers/graphql-client";
import { checkAccessibility, screenshot, useBrowser } from "./helpers/browser";

const ACTIVE = gql<{ activeModel: { version: number; source: string } }>(`{ activeModel { version source } }`);
const LATEST = gql<{ models: { edges: { node: { version: number; source: string; comment: string | null; republishedFrom: number | null } }[] } }>(
  `{ models(first: 1) { edges { node { version source comment republishedFrom } } } }`,
);
const STAGES = gql<{ leads: { edges: { node: { stage: string } }[] } }>(`{ leads(first: 100) { edges { node { stage } } } }`);
const RECORD = gql<{ recordInteraction: { lead: { id: string } } }, { input: Record<string, unknown> }>(
  `mutation ($input: InteractionInput!) { recordInteraction(input: $input) { lead { id } } }`,
);

const editor = (page: Page) => page.getByRole("textbox", { name: "Model source" });
const problems = (page: Page) => page.getByRole("region", { name: "Problems" });

/** The editor's text as the page renders it (a line per line; fine for models that fit the view). */
async function editorText(page: Page): Promise<string> {
  return (await editor(page).innerText()).replace(/\n\n/g, "\n");
}

/** The leads per stage, as the API counts them. */
async function stageCounts(s: ReturnType<typeof useBrowser>): Promise<Record<string, number>> {
  const { leads } = await s.api.data(STAGES);
  const counts: Record<string, number> = {};
  for (const { node } of leads.edges) counts[node.stage] = (counts[node.stage] ?? 0) + 1;
  return counts;
}

/** The preview's table as { stage: [now, withModel, fromScratch] }. */
async function previewTable(page: Page): Promise<Record<string, number[]>> {
  const table = page.getByRole("table", { name: "Leads per stage" });
  await table.waitFor();
  const out: Record<string, number[]> = {};
  for (const row of await table.getByRole("row").all()) {
    const stage = await row.getByRole("rowheader").textContent().catch(() => null);
    if (stage === null) continue;
    out[stage] = (await row.getByRole("cell").allTextContents()).map(Number);
  }
  return out;
}

describe("workbench model page", () => {
  const s = useBrowser();

  it("shows a mistake as one types at its line and column, fixes it with a click, and completes a lead field", async () => {
    const { activeModel } = await s.api.data(ACTIVE);
    const lastLine = activeModel.source.split(/\r\n|\r|\n/).length;
    const page = await s.signedIn("/model");
    await problems(page).getByText("No problems").waitFor();
    await editor(page).click();
    await page.keyboard.press("Control+End");
    await page.keyboard.type('rol contains "CEO" => +5');
    const problem = problems(page).getByRole("listitem").filter({ hasText: 'Unknown lead field "rol"' });
    await problem.waitFor();
    expect(await problem.textContent()).toContain(`${lastLine}:1`);
    expect(await problem.textContent()).toContain("Error");
    if (s.t.database === "embedded") await screenshot(page, "model-editor");

    // Clicking the problem puts the cursor there; the fix is a button beside it.
    await problem.getByRole("button", { name: /Unknown lead field/ }).click();
    await problem.getByRole("button", { name: "Replace with 'role'" }).click();
    await problems(page).getByText("No problems").waitFor();
    expect((await editorText(page)).split("\n")[lastLine - 1]).toBe('role contains "CEO" => +5');

    await page.keyboard.press("End");
    await page.keyboard.press("Enter");
    await page.keyboard.type("indus");
    await page.getByRole("option", { name: /industry/ }).waitFor();
    await page.keyboard.press("Escape");
  });

  it("previews the model on the current leads, publishes it with a comment, compares versions and rolls back", async () => {
    const { activeModel: v1 } = await s.api.data(ACTIVE);
    await s.api.data(RECORD, { input: { type: "visit", target: "/pricing", lead: { email: "ann@example.com", firstName: "Ann" } } });
    await s.api.data(RECORD, { input: { type: "visit", target: "/pricing", lead: { email: "bob@example.com", firstName: "Bob" } } });
    await s.api.data(RECORD, { input: { type: "download", target: "whitepaper.pdf", lead: { email: "cy@example.com" } } });
    const before = await stageCounts(s);
    const changed = v1.source.replace('visit "/pricing" => +15', 'visit "/pricing" => +40');
    expect(changed).not.toBe(v1.source);

    const page = await s.signedIn("/model");
    await problems(page).getByText("No problems").waitFor();
    await editor(page).fill(changed);
    await page.getByText("Draft: changed from the published version 1").waitFor();
    await page.getByRole("button", { name: "Preview" }).click();
    const preview = await previewTable(page);
    for (const [stage, count] of Object.entries(before)) expect(preview[stage]?.[0]).toBe(count);
    await page.getByRole("table", { name: "Top movers" }).getByRole("link", { name: /ann@example.com/ }).waitFor();

    await page.getByLabel("Comment", { exact: true }).fill("pricing visits weigh more");
    await page.getByRole("button", { name: "Publish" }).click();
    await page.getByRole("status").filter({ hasText: "Version 2 is published" }).waitFor();
    await page.getByText(/Rescoring leads to version 2: (\d+) of \1 \(done\)/).waitFor();
    const after = await stageCounts(s);
    // The preview's "with the model" is what publishing did.
    for (const [stage, counts] of Object.entries(preview)) expect(after[stage] ?? 0).toBe(counts[1]);
    const { models } = await s.api.data(LATEST);
    expect(models.edges[0].node).toMatchObject({ version: 2, source: changed, comment: "pricing visits weigh more" });

    const versions = page.getByRole("table", { name: "Published versions" });
    await versions.getByRole("row").filter({ hasText: "pricing visits weigh more" }).getByRole("rowheader", { name: /2/ }).waitFor();
    await page.getByText("The published version 2, unchanged.").waitFor();

    // The diff of 1 and 2 (the default pair: the two newest), then chosen explicitly.
    await page.getByLabel("From version", { exact: true }).selectOption("1");
    await page.getByLabel("to version", { exact: true }).selectOption("2");
    const diff = page.getByRole("region", { name: "Changes from version 1 to version 2" });
    await diff.getByText("1 line added, 1 line removed.").waitFor();
    const addedLine = changed.split("\n").find((line) => line.includes("=> +40"));
    expect(await diff.getByRole("insertion").textContent()).toBe(`Added: + ${addedLine}`);
    expect(await diff.getByRole("deletion").textContent()).toContain('visit "/pricing" => +15');

    await versions.getByRole("button", { name: "Roll back to version 1" }).click();
    await page.getByLabel("Comment for the rollback").fill("back to the seed");
    await page.getByRole("button", { name: "Confirm rollback to version 1" }).click();
    await page.getByRole("status").filter({ hasText: "Version 3 is published" }).waitFor();
    await versions.getByRole("row").filter({ hasText: "rollback to version 1" }).waitFor();
    const latest = (await s.api.data(LATEST)).models.edges[0].node;
    expect(latest).toMatchObject({ version: 3, source: v1.source, republishedFrom: 1, comment: "back to the seed" });
    // The editor held the published version, so it follows the rollback.
    expect(await editorText(page)).toBe(v1.source);
    expect(await checkAccessibility(page)).toEqual([]);
  }, 180_000);

  it("refuses to publish a model with errors, saying why", async () => {
    const page = await s.signedIn("/model");
    await problems(page).getByText("No problems").waitFor();
    await editor(page).fill('visit "/pricing" => +15\nstage Nowhere when score >= 10\n');
    await problems(page).getByRole("listitem").filter({ hasText: "2:7" }).waitFor();
    const publish = page.getByRole("button", { name: "Publish" });
    expect(await publish.isDisabled()).toBe(true);
    const reason = await publish.getAttribute("aria-describedby");
    expect(await page.locator(`[id="${reason}"]`).textContent()).toMatch(/The model has 1 error \(see Problems\)/);
  });

  it("shows the service's refusal of a model the page accepted (RULES_INVALID, as when page and service are different versions)", async () => {
    // The service's own answer to a model it refuses, asked of it directly: `scor` is no field.
    const refused = 'visit "/pricing" => +15\nstage MQL when scor >= 10\n';
    const accepted = refused.replace("scor ", "score");
    const answer = await fetch(s.t.app.url, {
      method: "POST",
      headers: { "content-type": "application/json", authorization: `Bearer ${s.api.key}` },
      body: JSON.stringify({ query: `mutation ($source: String!) { publishModel(source: $source) { model { version } } }`, variables: { source: refused } }),
    });
    const body = await answer.text();
    expect(JSON.parse(body).errors[0].extensions.code).toBe("RULES_INVALID");
    const { activeModel } = await s.api.data(ACTIVE);

    const page = await s.signedIn("/model");
    await problems(page).getByText("No problems").waitFor();
    // Only the publish is answered with that refusal, as a service of another version would answer it.
    await page.route("**/graphql", (route) =>
      route.request().postData()?.includes("publishModel") ? route.fulfill({ status: answer.status, contentType: "application/json", body }) : route.fallback(),
    );
    await editor(page).fill(accepted);
    await problems(page).getByText("No problems").waitFor();
    await page.getByRole("button", { name: "Publish" }).click();
    const refusal = problems(page).getByRole("listitem").filter({ hasText: "2:16" });
    await refusal.waitFor();
    expect(await problems(page).getByRole("heading", { name: "The service refused the model" }).count()).toBe(1);
    expect(await refusal.textContent()).toMatch(/^Error 2:16 .*scor/);
    await page.getByText(JSON.parse(body).errors[0].message).first().waitFor();
    // Nothing was lost or published: the text is the one typed, the active version the same.
    expect(await editorText(page)).toBe(accepted);
    expect((await s.api.data(ACTIVE)).activeModel.version).toBe(activeModel.version);
  });

  it("keeps the draft and the tests across a reload until discarded, and runs the tests in the page", async () => {
    const { activeModel } = await s.api.data(ACTIVE);
    const page = await s.signedIn("/model");
    await problems(page).getByText("No problems").waitFor();
    const draft = `${activeModel.source}visit "/demo" => +7\n`;
    await editor(page).fill(draft);
    const tests = 'now 2025-03-01T12:00:00Z\n\ntest "a demo page visit"\n  -1d visit "/demo"\n  expect score 8\n';
    await page.getByRole("textbox", { name: "Model tests" }).fill(tests);
    await page.getByRole("button", { name: "Run tests" }).click();
    const results = page.getByRole("status", { name: "Test results" });
    await results.getByText("0 of 1 case passed, 1 failed.").waitFor();
    expect(await results.textContent()).toContain("✗ expected score 8, got 7");

    await page.getByText("Draft: changed from").waitFor();
    await page.waitForTimeout(400); // the draft is saved 250 ms after the last change
    await page.reload();
    await problems(page).getByText("No problems").waitFor();
    expect(await editorText(page)).toBe(draft);
    expect(await page.getByRole("textbox", { name: "Model tests" }).inputValue()).toBe(tests);

    // Not "Revert to published": no other button's name may contain "Publish".
    await page.getByRole("button", { name: "Discard draft" }).click();
    await page.getByText(`The published version ${activeModel.version}, unchanged.`).waitFor();
    expect(await editorText(page)).toBe(activeModel.source);
  });

  it("shows a key without admin the editor and its tests, but no Preview or Publish", async () => {
    const reader = await s.t.client(["read"]);
    const page = await s.signedIn("/model", reader.key as string);
    await problems(page).getByText("No problems").waitFor();
    await page.getByText("Previewing and publishing need a key with the admin scope").waitFor();
    expect(await page.getByRole("button", { name: "Publish" }).count()).toBe(0);
    expect(await page.getByRole("button", { name: "Preview" }).count()).toBe(0);
    expect(await page.getByRole("button", { name: /Roll back/ }).count()).toBe(0);
    expect(await checkAccessibility(page)).toEqual([]);
  });

  it("diagnoses a 300-rule model as one types", async () => {
    const rules = Array.from({ length: 300 }, (_, i) =>
      i % 3 === 0 ? `visit "/page-${i}" => +${(i % 20) + 1}` : i % 3 === 1 ? `download "doc-${i}*" => +2 max 3` : `industry = "Sector ${i}" => +1`,
    );
    const model = `${rules.join("\n")}\nstage MQL when score >= 30\n`;
    const page = await s.signedIn("/model");
    await problems(page).getByText("No problems").waitFor();
    await editor(page).fill(model);
    await problems(page).getByText(/No problems/).waitFor();
    await page.evaluate(() => performance.clearMeasures("qualify:diagnose"));
    await editor(page).click();
    await page.keyboard.press("Control+End");
    // One keystroke at a time, as a person types (each waits past the linter's delay, so each is diagnosed).
    await page.keyboard.type('vist "/x" => +1', { delay: 120 });
    await problems(page).getByRole("listitem").filter({ hasText: "302:" }).first().waitFor();
    const durations = await page.evaluate(() => performance.getEntriesByName("qualify:diagnose").map((e) => e.duration));
    expect(durations.length).toBeGreaterThan(0);
    // The figure for the README (no timing is asserted here): QUALIFY_EDITOR_TIMINGS=<file>.
    const out = process.env.QUALIFY_EDITOR_TIMINGS;
    if (out) fs.writeFileSync(out, JSON.stringify({ database: s.t.database, characters: model.length, durations }, null, 2));
  });
});

/**
 * The admin page in Chromium against the real service: API keys (made with the form, shown once,
 * revoked after a confirmation) and webhooks (made with the form, their deliveries filtered and
 * redelivered, switched off, deleted after a confirmation). What it shows is checked against what
 * the API then does with the key or the webhook.
 */
import { createHmac } from "node:crypto";
import type { Page } from "playwright-core";
import { gql, GraphQLTestClient } from "../api/helpers/graphql-client";
import { uniqueEmail } from "../api/helpers/test-app";
import { eventually, type Received, WebhookReceiver } from "../api/helpers/webhook-receiver";
import { checkAccessibility, useBrowser } from "./helpers/browser";

const FUNNEL = gql<{ funnel: Array<{ stage: string }> }>(`query { funnel { stage } }`);
const WEBHOOKS = gql<{ webhooks: Array<{ id: string; url: string; active: boolean; description: string | null; events: string[] }> }>(
  `query { webhooks { id url active description events } }`,
);
const UPSERT = gql<{ upsertLead: { id: string } }, { email: string }>(`mutation ($email: String!) { upsertLead(input: { email: $email }) { id } }`);
const CREATE_ADMIN_KEY = gql<{ createApiKey: { key: string } }, { name: string }>(
  `mutation ($name: String!) { createApiKey(name: $name, scopes: [ADMIN]) { key } }`,
);

/** Clicks "Refresh" in `region` until `locator` text shows up there (a delivery is made in the background). */
async function refreshUntil(page: Page, region: ReturnType<Page["getByRole"]>, text: string | RegExp): Promise<void> {
  await eventually(`"${text}" in ${await region.getAttribute("aria-label")}`, async () => {
    await region.getByRole("button", { name: "Refresh" }).click();
    await page.waitForTimeout(150);
    return (await region.getByRole("row").filter({ hasText: text }).count()) > 0;
  });
}

describe("the admin page", () => {
  const s = useBrowser({
    QUALIFY_WEBHOOK_ALLOW_PRIVATE: "true",
    QUALIFY_WEBHOOK_RETRY_BASE_MS: "50",
    QUALIFY_WEBHOOK_RETRY_FOR: "1s",
    QUALIFY_WEBHOOK_POLL_MS: "100",
  });
  let receiver: WebhookReceiver;
  beforeAll(async () => {
    receiver = await WebhookReceiver.start();
  });
  afterAll(() => receiver.close());

  it("makes a key with the form, shows it once with a copy button, and revokes it after a confirmation", async () => {
    const page = await s.signedIn("/admin");
    await page.context().grantPermissions(["clipboard-read", "clipboard-write"], { origin: s.origin });
    await page.getByRole("heading", { name: "API keys" }).waitFor();
    expect(await checkAccessibility(page)).toEqual([]);

    const form = page.getByRole("form", { name: "New API key" });
    await form.getByLabel("Name").fill("ci export");
    expect(await form.getByRole("checkbox", { name: /^read/ }).isChecked()).toBe(true);
    await form.getByRole("checkbox", { name: /^ingest/ }).check();
    await form.getByRole("button", { name: "Create key" }).click();

    const shown = page.getByLabel("New API key “ci export”");
    const key = await shown.inputValue();
    expect(key).toMatch(/^qk_/);
    await page.getByText("Shown only now").waitFor();
    await page.getByRole("button", { name: "Copy" }).click();
    await page.getByRole("status").filter({ hasText: "Copied." }).waitFor();
    expect(await page.evaluate("navigator.clipboard.readText()")).toBe(key);
    // The form is ready for the next key.
    expect(await form.getByLabel("Name").inputValue()).toBe("");

    // The listing: name, prefix, scopes, never used; the key works with exactly those scopes.
    const row = page.getByRole("row", { name: /ci export/ });
    await row.waitFor();
    expect(await row.textContent()).toContain(key.slice(0, 10));
    expect(await row.textContent()).toMatch(/ingest, read|read, ingest/);
    expect(await row.textContent()).toContain("never");
    const client = new GraphQLTestClient(s.t.app.url, key);
    expect((await client.request(FUNNEL)).status).toBe(200);

    await page.getByRole("button", { name: "I have kept it" }).click();
    expect(await shown.count()).toBe(0);
    await page.reload();
    await row.waitFor();
    expect(await page.content()).not.toContain(key);

    // Revoke: asked first; Cancel (by keyboard, Escape) changes nothing and gives the focus back.
    const revoke = row.getByRole("button", { name: "Revoke ci export" });
    await revoke.focus();
    await page.keyboard.press("Enter");
    const question = row.getByRole("group", { name: "Revoke ci export" });
    await question.getByText("refused from now on").waitFor();
    expect(await question.getByRole("button", { name: "Cancel" }).evaluate((el) => el === el.ownerDocument.activeElement)).toBe(true);
    await page.keyboard.press("Escape");
    expect(await revoke.evaluate((el) => el === el.ownerDocument.activeElement)).toBe(true);
    expect((await client.request(FUNNEL)).status).toBe(200);

    await revoke.click();
    await question.getByRole("button", { name: "Yes, revoke" }).click();
    await row.getByText("Revoked").waitFor();
    expect(await row.getByRole("button", { name: "Revoke ci export" }).count()).toBe(0);
    expect((await client.request(FUNNEL)).status).toBe(401);
  });

  it("keeps what was typed when the service refuses a key, and says why beside the form", async () => {
    const page = await s.signedIn("/admin");
    const form = page.getByRole("form", { name: "New API key" });
    await form.getByLabel("Name").fill("x".repeat(100));
    await form.getByRole("checkbox", { name: /^read/ }).uncheck();
    await form.getByRole("button", { name: "Create key" }).click();
    await form.getByRole("alert").filter({ hasText: "at least one scope" }).waitFor();
    expect(await form.getByLabel("Name").inputValue()).toBe("x".repeat(100));
  });

  it("signs the tab out when it revokes its own key", async () => {
    const { createApiKey } = await s.api.data(CREATE_ADMIN_KEY, { name: "self revoker" });
    const page = await s.signedIn("/admin", createApiKey.key);
    const row = page.getByRole("row", { name: /self revoker/ });
    await row.getByText("this tab’s key").waitFor();
    await row.getByRole("button", { name: "Revoke self revoker" }).click();
    await row.getByText("you are signed in with").waitFor();
    await row.getByRole("button", { name: "Yes, revoke" }).click();
    await page.getByText("You revoked the key this tab was signed in with").waitFor();
    await page.getByLabel("API key").waitFor();
  });

  it("makes a webhook (its secret once), shows its deliveries by status, redelivers a failed one, switches it off, deletes it", async () => {
    receiver.respond("/crm", () => 500);
    const url = `${receiver.url}/crm`;
    const page = await s.signedIn("/admin");
    const form = page.getByRole("form", { name: "New webhook" });
    await form.getByLabel("URL").fill(url);
    await form.getByLabel("Description").fill("CRM sync");
    await form.getByRole("checkbox", { name: /^lead created/ }).check();
    await form.getByRole("checkbox", { name: /^lead stage changed/ }).uncheck();
    await form.getByRole("button", { name: "Create webhook" }).click();
    const secret = await page.getByLabel(`Signing secret for ${url}`).inputValue();
    expect(secret).toMatch(/^whsec_/);
    const [hook] = (await s.api.data(WEBHOOKS)).webhooks.filter((w) => w.url === url);
    expect(hook).toMatchObject({ active: true, description: "CRM sync", events: ["LEAD_CREATED"] });
    await page.getByRole("button", { name: "I have kept it" }).click();
    expect(await checkAccessibility(page)).toEqual([]);

    // A lead is created; the receiver answers 500 until the retry window (1 s) ends: FAILED.
    const { upsertLead } = await s.api.data(UPSERT, { email: uniqueEmail("hooked") });
    const item = page.getByRole("listitem", { name: url });
    await item.getByRole("button", { name: "Deliveries" }).click();
    const deliveries = item.getByRole("region", { name: `Deliveries of ${url}` });
    await deliveries.getByLabel("Status").selectOption({ label: "Failed" });
    await refreshUntil(page, deliveries, "failed");
    const failed = deliveries.getByRole("row").filter({ hasText: "failed" });
    expect(await failed.textContent()).toContain("HTTP 500");
    expect(await failed.getByRole("link").getAttribute("href")).toBe(`/leads/${upsertLead.id}`);
    await deliveries.getByLabel("Status").selectOption({ label: "Delivered" });
    await deliveries.getByText("No deliveries with this status yet.").waitFor();

    // The receiver is fixed: redeliver it, signed with the secret the page showed.
    receiver.respond("/crm", () => 200);
    await deliveries.getByLabel("Status").selectOption({ label: "Failed" });
    await deliveries.getByRole("button", { name: `Redeliver lead created of lead ${upsertLead.id}` }).click();
    await deliveries.getByRole("status").filter({ hasText: "Sent again" }).waitFor();
    const accepted: Received = await eventually("the redelivery", () => receiver.accepted("/crm")[0]);
    expect(accepted.json.data.lead.id).toBe(upsertLead.id);
    const signature = createHmac("sha256", secret).update(`${accepted.headers["qualify-timestamp"]}.${accepted.body}`).digest("hex");
    expect(accepted.headers["qualify-signature"]).toBe(`v1=${signature}`);
    await deliveries.getByLabel("Status").selectOption({ label: "Delivered" });
    await refreshUntil(page, deliveries, "delivered");

    // Switched off, then deleted (after Cancel once).
    await item.getByRole("checkbox", { name: "Active" }).uncheck();
    await eventually("inactive", async () => !(await s.api.data(WEBHOOKS)).webhooks.find((w) => w.id === hook.id)?.active);
    await item.getByRole("checkbox", { name: "Active", checked: false }).waitFor();
    await item.getByRole("button", { name: `Delete webhook ${url}` }).click();
    await item.getByRole("button", { name: "Cancel" }).click();
    expect((await s.api.data(WEBHOOKS)).webhooks.some((w) => w.id === hook.id)).toBe(true);
    await item.getByRole("button", { name: `Delete webhook ${url}` }).click();
    await item.getByRole("button", { name: "Yes, delete" }).click();
    await item.waitFor({ state: "detached" });
    expect((await s.api.data(WEBHOOKS)).webhooks.some((w) => w.id === hook.id)).toBe(false);
  });

  it("refuses a webhook the service refuses, in its words, keeping the form", async () => {
    const page = await s.signedIn("/admin");
    const form = page.getByRole("form", { name: "New webhook" });
    await form.getByLabel("URL").fill("https://user:secret@example.com/hook");
    await form.getByLabel("Description").fill("kept");
    await form.getByRole("button", { name: "Create webhook" }).click();
    const alert = form.getByRole("alert");
    await alert.waitFor();
    expect(await alert.textContent()).toMatch(/credential/i);
    expect(await form.getByLabel("URL").inputValue()).toBe("https://user:secret@example.com/hook");
    expect(await form.getByLabel("Description").inputValue()).toBe("kept");
  });

  it("tells a key without the admin scope, in a sentence, that the page is not for it", async () => {
    const reader = await s.t.client(["read", "sales"]);
    const page = await s.signedIn("/admin", reader.key as string);
    await page.getByText("API keys and webhooks are managed with an admin key").waitFor();
    expect(await page.getByRole("form").count()).toBe(0);
    expect(await checkAccessibility(page)).toEqual([]);
  });
});

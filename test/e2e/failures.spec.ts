/**
 * When things go wrong, in Chromium against the real service: the page says so in words, near
 * where it happened, and loses nothing typed. A key revoked while the tab is open returns it to
 * sign-in saying why; a key over its rate limit is told when to retry; the service stopped and
 * started again (on the same port, as a restart does) shows a banner, and the live updates
 * reconnect by themselves and deliver what happens after.
 */
import { gql } from "../api/helpers/graphql-client";
import { FUNNEL, SET_LEAD_STAGE, UPSERT_LEAD } from "../api/helpers/documents";
import { uniqueEmail } from "../api/helpers/test-app";
import { useBrowser } from "./helpers/browser";

const CREATE_KEY = gql<
  { createApiKey: { key: string; apiKey: { id: string } } },
  { name: string; rateLimit?: { requests?: number; windowSeconds?: number } }
>(`mutation ($name: String!, $rateLimit: RateLimitInput) { createApiKey(name: $name, scopes: [ADMIN], rateLimit: $rateLimit) { key apiKey { id } } }`);
const REVOKE_KEY = gql<{ revokeApiKey: { id: string } }, { id: string }>(`mutation ($id: ID!) { revokeApiKey(id: $id) { id } }`);

/** A URL the service refuses (credentials in it): every submit is a request answered BAD_USER_INPUT. */
const REFUSED_URL = "https://user:pw@example.com/hook";

describe("the workbench when things go wrong", () => {
  const s = useBrowser();

  it("a key revoked while the tab is open returns it to sign-in, saying why", async () => {
    const { createApiKey } = await s.api.data(CREATE_KEY, { name: "revoked while open" });
    const page = await s.signedIn("/admin", createApiKey.key);
    await page.getByRole("status", { name: "Live updates" }).filter({ hasText: "Live" }).waitFor();
    await s.api.data(REVOKE_KEY, { id: createApiKey.apiKey.id });
    // The service ends the key's live connection; its next request is refused too: either way, sign-in.
    await page.getByText("no longer accepts this key").waitFor({ timeout: 15_000 });
    await page.getByLabel("API key").waitFor();
    expect(await page.evaluate("sessionStorage.length")).toBe(0);
  });

  it("a key over its rate limit is told when to retry, beside the form and in the banner; the form keeps what was typed", async () => {
    const { createApiKey } = await s.api.data(CREATE_KEY, { name: "tiny budget", rateLimit: { requests: 12, windowSeconds: 8 } });
    const page = await s.signedIn("/admin", createApiKey.key);
    const form = page.getByRole("form", { name: "New webhook" });
    await form.getByLabel("URL").fill(REFUSED_URL);
    await form.getByLabel("Description").fill("typed before the limit");
    const alert = form.getByRole("alert");
    for (let attempt = 0; attempt < 20; attempt++) {
      await form.getByRole("button", { name: "Create webhook" }).click();
      await alert.waitFor();
      if (/Too many requests/.test((await alert.textContent()) ?? "")) break;
    }
    expect(await alert.textContent()).toMatch(/^Too many requests for this key: try again in [1-8] s\.$/);
    const banner = page.getByRole("alert").filter({ hasText: /retry in \d+ s/ });
    await banner.waitFor();
    expect(await form.getByLabel("URL").inputValue()).toBe(REFUSED_URL);
    expect(await form.getByLabel("Description").inputValue()).toBe("typed before the limit");
    // The window ends: the banner goes by itself, and the same form is answered again.
    await banner.waitFor({ state: "detached", timeout: 15_000 });
    await form.getByRole("button", { name: "Create webhook" }).click();
    await form.getByRole("alert").filter({ hasText: /credential/i }).waitFor();
  });

  it("the service stopped: a banner, requests fail in words keeping the form; started again: the banner clears, live updates resume", async () => {
    const { createApiKey } = await s.api.data(CREATE_KEY, { name: "through a restart" });
    const { upsertLead } = await s.api.data(UPSERT_LEAD, { input: { email: uniqueEmail("restart") } });
    const page = await s.signedIn("/admin", createApiKey.key);
    const live = page.getByRole("status", { name: "Live updates" });
    await live.filter({ hasText: /^Live$/ }).waitFor();
    const keyForm = page.getByRole("form", { name: "New API key" });
    await keyForm.getByLabel("Name").fill("half typed");
    const hookForm = page.getByRole("form", { name: "New webhook" });
    await hookForm.getByLabel("URL").fill("https://example.com/after-restart");

    const port = s.t.app.port;
    await s.t.app.close();
    const banner = page.getByRole("alert").filter({ hasText: "Reconnecting when it is back" });
    await banner.waitFor();
    expect(await banner.textContent()).toContain("nothing you typed is lost");
    await live.filter({ hasText: "Reconnecting…" }).waitFor();
    await hookForm.getByRole("button", { name: "Create webhook" }).click();
    await hookForm.getByRole("alert").filter({ hasText: "The service cannot be reached." }).waitFor();
    expect(await hookForm.getByLabel("URL").inputValue()).toBe("https://example.com/after-restart");

    // Started again where it was (a restart keeps its address); the tab needs nothing from the person.
    await s.t.restart({ PORT: String(port) });
    await banner.waitFor({ state: "detached", timeout: 20_000 });
    await live.filter({ hasText: /^Live$/ }).waitFor({ timeout: 20_000 });
    const stages = (await s.api.data(FUNNEL, {})).funnel.map((row) => row.stage);
    const target = stages[stages.length - 1];
    await s.api.data(SET_LEAD_STAGE, { leadId: upsertLead.id, stage: target, reason: "after the restart" });
    await page.getByText(`${upsertLead.email}: `).filter({ hasText: `→ ${target}` }).waitFor({ timeout: 15_000 });
    // What was typed is still there, and the service answers it now (made, or refused in its own words).
    expect(await keyForm.getByLabel("Name").inputValue()).toBe("half typed");
    await hookForm.getByRole("button", { name: "Create webhook" }).click();
    const answered = page.getByLabel("Signing secret for https://example.com/after-restart").or(hookForm.getByRole("alert").filter({ hasNotText: "cannot be reached" }));
    await answered.first().waitFor();
  });
});

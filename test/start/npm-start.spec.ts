/**
 * `npm start` as a newcomer runs it: no settings, embedded database. Runs the built service
 * (`dist/`, made by `npm ci` / `npm run build`) in a child process: prints the URL and, on the first
 * start only, an admin key; the data survives a restart; SIGTERM stops it cleanly.
 */
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { GraphQLTestClient } from "../api/helpers/graphql-client";
import { LEAD_BY_EMAIL, UPSERT_LEAD } from "../api/helpers/documents";
import { ensureBuilt, type ServiceProcess, startService, stopService } from "./helpers/service-process";

const start = (dataDir: string): Promise<ServiceProcess> => startService({ QUALIFY_DATA_DIR: dataDir, QUALIFY_LOG_LEVEL: "warn" });
const stop = stopService;

describe("npm start (embedded database)", () => {
  const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), "qualify-start-"));
  beforeAll(ensureBuilt, 120_000);
  afterAll(() => fs.rmSync(dataDir, { recursive: true, force: true }));

  it("prints the URL and a first-start admin key, keeps data across restarts, stops on SIGTERM", async () => {
    const first = await start(dataDir);
    expect(first.adminKey).toMatch(/^qk_/);
    const api = new GraphQLTestClient(first.url, first.adminKey);
    await api.data(UPSERT_LEAD, { input: { email: "persist@example.com", company: "Kept" } });
    expect(await stop(first)).toBe(0);

    const second = await start(dataDir);
    try {
      expect(second.adminKey).toBeNull();
      expect(second.output()).not.toMatch(/First start/);
      const again = new GraphQLTestClient(second.url, first.adminKey);
      const { leadByEmail } = await again.data(LEAD_BY_EMAIL, { email: "persist@example.com" });
      expect(leadByEmail?.company).toBe("Kept");
    } finally {
      expect(await stop(second)).toBe(0);
    }
    // Two starts (slow on a busy machine) and two stops with the default grace period of 5 s.
  }, 300_000);
});

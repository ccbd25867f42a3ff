/**
 * The service's logs as an operator reads them, from the real service over real HTTP: one access
 * line per GraphQL request (never its variables), nothing secret, and debug `sql` entries that
 * carry parameter values only behind QUALIFY_LOG_SQL_PARAMETERS.
 */
import { createHash, randomBytes } from "node:crypto";
import { FUNNEL, RECORD_INTERACTION, UPSERT_LEAD } from "./helpers/documents";
import { testDatabase, uniqueEmail, useTestApp } from "./helpers/test-app";

type Entry = Record<string, unknown>;

/** A suite's log lines, parsed (every line must be JSON). */
function logSink() {
  const lines: string[] = [];
  return {
    log: (line: string) => lines.push(line),
    lines,
    entries: (): Entry[] => lines.map((line) => JSON.parse(line) as Entry),
    clear: () => void lines.splice(0),
  };
}

/** Writes whose statements carry an email, an external id and (authenticating a stored key) a key hash. */
async function writeThroughStoredKey(s: ReturnType<typeof useTestApp>) {
  // `read` too: the writes' answers select lead data.
  const client = await s.t.client(["ingest", "read"]);
  const email = uniqueEmail("sql-log");
  const externalId = `ext-${randomBytes(6).toString("hex")}`;
  await client.data(UPSERT_LEAD, { input: { email, company: "Logged Ltd" } });
  await client.data(RECORD_INTERACTION, { input: { email, type: "visit", target: "/pricing", source: "web", externalId } });
  const keyHash = createHash("sha256").update(client.key as string).digest("hex");
  return { email, externalId, keyHash };
}

describe(`debug logs without QUALIFY_LOG_SQL_PARAMETERS [${testDatabase()}]`, () => {
  const sink = logSink();
  const s = useTestApp({ QUALIFY_LOG_LEVEL: "debug" }, { log: sink.log });

  it("write the statement text of every statement, and no parameter value", async () => {
    sink.clear();
    const { email, externalId, keyHash } = await writeThroughStoredKey(s);
    const sql = sink.entries().filter((e) => e.message === "sql");
    expect(sql.length).toBeGreaterThan(3);
    expect(sql.every((e) => typeof e.query === "string" && e.component === "sql" && !("parameters" in e))).toBe(true);
    expect(sql.some((e) => /INSERT INTO interaction/.test(e.query as string))).toBe(true);
    const text = sink.lines.join("\n");
    for (const value of [email, externalId, keyHash]) expect(text).not.toContain(value);
  });
});

describe(`debug logs with QUALIFY_LOG_SQL_PARAMETERS=true [${testDatabase()}]`, () => {
  const sink = logSink();
  const s = useTestApp({ QUALIFY_LOG_LEVEL: "debug", QUALIFY_LOG_SQL_PARAMETERS: "true" }, { log: sink.log });

  it("write the parameter values beside each statement", async () => {
    sink.clear();
    const { email, externalId, keyHash } = await writeThroughStoredKey(s);
    const sql = sink.entries().filter((e) => e.message === "sql");
    const parameters = JSON.stringify(sql.filter((e) => e.parameters !== undefined).map((e) => e.parameters));
    for (const value of [email, externalId, keyHash]) expect(parameters).toContain(value);
  });
});

describe(`the access log [${testDatabase()}]`, () => {
  const sink = logSink();
  const s = useTestApp({ QUALIFY_LOG_LEVEL: "info" }, { log: sink.log });

  it("writes one line per GraphQL request: operation, outcome and codes, status, duration; no variables, no key, no email", async () => {
    const email = uniqueEmail("access-log");
    const marker = `variable-${randomBytes(6).toString("hex")}`;
    const client = await s.t.client(["ingest", "read"]);
    sink.clear();
    await client.data(RECORD_INTERACTION, { input: { email, type: "visit", target: `/${marker}` } });
    const invalid = await client.request(RECORD_INTERACTION, { input: { email: "not-an-email", type: "visit", target: marker } });
    expect(invalid.errors?.[0].extensions?.code).toBe("BAD_USER_INPUT");
    await client.data(FUNNEL, {});
    const refused = await s.api.as(`qk_${marker}`).request(FUNNEL, {});
    expect(refused.status).toBe(401);
    // A key's body is parsed (without a valid key it would not be read: 401).
    const notJson = await fetch(s.t.app.url, { method: "POST", headers: { "content-type": "application/json", authorization: `Bearer ${client.key}` }, body: "{" });
    expect(notJson.status).toBe(400);

    const access = sink.entries().filter((e) => e.component === "access");
    expect(access).toHaveLength(5);
    expect(access.every((e) => e.level === "info" && e.message === "graphql request" && typeof e.ms === "number" && (e.ms as number) >= 0)).toBe(true);
    expect(access.map(({ operation, type, outcome, codes, status }) => ({ operation, type, outcome, codes, status }))).toEqual([
      { operation: "Record", type: "mutation", outcome: "ok", codes: undefined, status: 200 },
      { operation: "Record", type: "mutation", outcome: "error", codes: ["BAD_USER_INPUT"], status: 200 },
      { operation: "Funnel", type: "query", outcome: "ok", codes: undefined, status: 200 },
      { operation: null, type: null, outcome: "error", codes: ["UNAUTHENTICATED"], status: 401 },
      { operation: null, type: null, outcome: "error", codes: ["BAD_USER_INPUT"], status: 400 },
    ]);
    const text = sink.lines.join("\n");
    for (const value of [marker, email, client.key as string, "not-an-email"]) expect(text).not.toContain(value);
  });
});

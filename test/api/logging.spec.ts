/**
 * The service's logs as an operator reads them, from the real service over real HTTP: debug `sql`
 * entries carry parameter values only behind QUALIFY_LOG_SQL_PARAMETERS.
 */
import { createHash, randomBytes } from "node:crypto";
import { RECORD_INTERACTION, UPSERT_LEAD } from "./helpers/documents";
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
  const client = await s.t.client(["ingest"]);
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

/** The logger as the service creates it (pino underneath), writing into a buffer: format, levels, redaction. */
import { createLogger, type LogLevel } from "../../src/logger";

const ADMIN_KEY = "automation-admin-key-0123456789";

function capture(level: LogLevel) {
  const lines: string[] = [];
  const logger = createLogger(level, { write: (line) => lines.push(line), secrets: [ADMIN_KEY] });
  return { logger, lines, entries: () => lines.map((line) => JSON.parse(line) as Record<string, unknown>) };
}

describe("logger", () => {
  it("writes one JSON line per entry: time, level name, message, fields; nothing below the level", () => {
    const { logger, lines, entries } = capture("info");
    logger.debug("not written", { n: 1 });
    logger.info("started", { port: 4000 });
    logger.child({ component: "expiry" }).warn("slow", { ms: 12 });
    expect(lines).toHaveLength(2);
    expect(lines.every((line) => !line.includes("\n"))).toBe(true);
    const [info, warn] = entries();
    expect(info).toMatchObject({ level: "info", message: "started", port: 4000 });
    expect(new Date(info.time as string).toISOString()).toBe(info.time);
    expect(warn).toMatchObject({ level: "warn", message: "slow", component: "expiry", ms: 12 });
  });

  it("never writes API keys, the authorization header or secret fields, at any depth and at every level", () => {
    for (const level of ["debug", "info"] as const) {
      const { logger, lines, entries } = capture(level);
      logger.info("request with qk_AbCdEfG-h1_xyZ refused", {
        headers: { Authorization: "Bearer some-opaque-token", "content-type": "application/json" },
        apiKey: "anything",
        nested: [{ key: "k-123456789", secret: 42, keyHash: "9f86d081884c7d65", keyPrefix: "qk_AbCd" }],
        reason: "Authorization: Bearer another-opaque-token was revoked",
        error: new Error(`key ${ADMIN_KEY} is not stored`),
        count: 3,
      });
      logger.child({ api_key: "child-binding-key" }).error(`admin key ${ADMIN_KEY} used`);
      const text = lines.join("\n");
      for (const secret of ["qk_AbCdEfG", "some-opaque-token", "another-opaque-token", "anything", "k-123456789", "9f86d081", ADMIN_KEY, "child-binding-key"]) {
        expect(text).not.toContain(secret);
      }
      const [entry, child] = entries();
      expect(entry).toMatchObject({
        message: "request with [REDACTED] refused",
        headers: { Authorization: "[REDACTED]", "content-type": "application/json" },
        apiKey: "[REDACTED]",
        nested: [{ key: "[REDACTED]", secret: "[REDACTED]", keyHash: "[REDACTED]", keyPrefix: "[REDACTED]" }],
        reason: "Authorization: Bearer [REDACTED] was revoked",
        error: { name: "Error", message: "key [REDACTED] is not stored" },
        count: 3,
      });
      expect(child).toMatchObject({ api_key: "[REDACTED]", message: "admin key [REDACTED] used" });
    }
  });

  it("hides email addresses in messages and fields unless the level is debug", () => {
    const info = capture("info");
    info.logger.warn("lead ada.lovelace+crm@analytical-engines.co.uk not found", { email: "grace@example.com", leads: ["x@y.example"] });
    expect(info.lines.join("")).not.toMatch(/@/);
    expect(info.entries()[0]).toMatchObject({ message: "lead [EMAIL] not found", email: "[EMAIL]", leads: ["[EMAIL]"] });

    const debug = capture("debug");
    debug.logger.debug("lead ada@example.com", { email: "grace@example.com" });
    expect(debug.entries()[0]).toMatchObject({ message: "lead ada@example.com", email: "grace@example.com" });
  });

  it("copes with what callers may hand it: cycles, dates, buffers, empty values", () => {
    const { logger, entries } = capture("info");
    const loop: Record<string, unknown> = { name: "loop" };
    loop.self = loop;
    logger.info("odd fields", { loop, at: new Date("2026-01-02T03:04:05.000Z"), body: Buffer.from("abc"), key: null, none: undefined });
    expect(entries()[0]).toMatchObject({ loop: { name: "loop", self: "[Circular]" }, at: "2026-01-02T03:04:05.000Z", body: "[3 bytes]", key: null });
  });
});

import { ConfigError, loadConfig } from "../../src/config";

describe("loadConfig", () => {
  it("defaults to the embedded database and in-process events", () => {
    const config = loadConfig({}, "/srv/qualify");
    expect(config.database).toEqual({ kind: "embedded", dataDir: "/srv/qualify/.data/pglite" });
    expect(config).toMatchObject({ port: 4000, pubsub: "memory", isDevelopment: false, adminKey: null });
    expect(config.limits).toMatchObject({ bodyBytes: 1048576, maxDepth: 10, maxAliases: 30 });
  });

  it("switches to a PostgreSQL server with DATABASE_URL, events through LISTEN/NOTIFY", () => {
    const config = loadConfig({ DATABASE_URL: "postgres://x@h/db", DATABASE_POOL_SIZE: "4", PORT: "8080" });
    expect(config.database).toEqual({ kind: "postgres", url: "postgres://x@h/db", poolSize: 4 });
    expect(config).toMatchObject({ port: 8080, pubsub: "postgres" });
  });

  it("lists every invalid setting at once", () => {
    const load = () => loadConfig({ PORT: "http", QUALIFY_LOG_LEVEL: "loud", QUALIFY_ADMIN_KEY: "short" });
    expect(load).toThrow(ConfigError);
    for (const name of ["PORT", "QUALIFY_LOG_LEVEL", "QUALIFY_ADMIN_KEY"]) expect(load).toThrow(name);
  });

  it("stops with a grace period of 5 s and a timeout of 30 s unless told otherwise; the timeout must exceed the grace", () => {
    expect(loadConfig({}).shutdown).toEqual({ graceSeconds: 5, timeoutSeconds: 30 });
    expect(loadConfig({ QUALIFY_SHUTDOWN_GRACE_SECONDS: "0", QUALIFY_SHUTDOWN_TIMEOUT_SECONDS: "1" }).shutdown).toEqual({ graceSeconds: 0, timeoutSeconds: 1 });
    expect(() => loadConfig({ QUALIFY_SHUTDOWN_GRACE_SECONDS: "30" })).toThrow(/QUALIFY_SHUTDOWN_TIMEOUT_SECONDS \(30\) must be more than QUALIFY_SHUTDOWN_GRACE_SECONDS \(30\)/);
    expect(() => loadConfig({ QUALIFY_SHUTDOWN_GRACE_SECONDS: "-1" })).toThrow("QUALIFY_SHUTDOWN_GRACE_SECONDS must be an integer from 0 to 300");
    expect(() => loadConfig({ QUALIFY_SHUTDOWN_TIMEOUT_SECONDS: "0" })).toThrow("QUALIFY_SHUTDOWN_TIMEOUT_SECONDS must be an integer from 1 to 3600");
  });
});

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

  it("reads the operations settings: SQL parameters in logs, metrics and their port, GraphiQL (on in development)", () => {
    expect(loadConfig({})).toMatchObject({ logSqlParameters: false, metrics: { enabled: true, port: null }, graphiql: false });
    expect(loadConfig({ NODE_ENV: "development" }).graphiql).toBe(true);
    expect(loadConfig({ NODE_ENV: "development", QUALIFY_GRAPHIQL: "off" }).graphiql).toBe(false);
    expect(loadConfig({ QUALIFY_GRAPHIQL: "on" }).graphiql).toBe(true);
    expect(loadConfig({ QUALIFY_METRICS_PORT: "9464", QUALIFY_LOG_SQL_PARAMETERS: "true" })).toMatchObject({
      metrics: { enabled: true, port: 9464 },
      logSqlParameters: true,
    });
    expect(loadConfig({ QUALIFY_METRICS: "off" }).metrics).toEqual({ enabled: false, port: null });
    expect(() => loadConfig({ QUALIFY_METRICS: "off", QUALIFY_METRICS_PORT: "9464" })).toThrow("QUALIFY_METRICS_PORT is set but QUALIFY_METRICS is off");
    expect(() => loadConfig({ PORT: "9464", QUALIFY_METRICS_PORT: "9464" })).toThrow("QUALIFY_METRICS_PORT must differ from PORT");
    const load = () => loadConfig({ QUALIFY_METRICS: "yes", QUALIFY_GRAPHIQL: "true", QUALIFY_LOG_SQL_PARAMETERS: "1", QUALIFY_METRICS_PORT: "x" });
    for (const name of ["QUALIFY_METRICS ", "QUALIFY_GRAPHIQL", "QUALIFY_LOG_SQL_PARAMETERS", "QUALIFY_METRICS_PORT"]) expect(load).toThrow(name);
  });

  it("lists every invalid setting at once", () => {
    const load = () => loadConfig({ PORT: "http", QUALIFY_LOG_LEVEL: "loud", QUALIFY_ADMIN_KEY: "short" });
    expect(load).toThrow(ConfigError);
    for (const name of ["PORT", "QUALIFY_LOG_LEVEL", "QUALIFY_ADMIN_KEY"]) expect(load).toThrow(name);
  });
});

import { ConfigError, loadConfig, loadRemoteService } from "../../src/config";

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
});

describe("loadRemoteService (qualify keys)", () => {
  it("is null without QUALIFY_URL and QUALIFY_API_KEY: the commands use the database", () => {
    expect(loadRemoteService({})).toBeNull();
    expect(loadRemoteService({ QUALIFY_URL: " ", QUALIFY_API_KEY: "" })).toBeNull();
  });

  it("names the running service when both are set", () => {
    expect(loadRemoteService({ QUALIFY_URL: " https://qualify.example/graphql ", QUALIFY_API_KEY: "qk_x" })).toEqual({
      url: "https://qualify.example/graphql",
      apiKey: "qk_x",
    });
  });

  it("refuses one without the other, and a URL that is not http(s)", () => {
    expect(() => loadRemoteService({ QUALIFY_API_KEY: "qk_x" })).toThrow("QUALIFY_API_KEY is set but QUALIFY_URL is not");
    expect(() => loadRemoteService({ QUALIFY_URL: "http://h/graphql" })).toThrow("QUALIFY_URL is set but QUALIFY_API_KEY is not");
    expect(() => loadRemoteService({ QUALIFY_URL: "ftp://h/graphql", QUALIFY_API_KEY: "qk_x" })).toThrow(ConfigError);
  });
});

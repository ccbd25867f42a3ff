/**
 * `ormconfig.ts` (TypeORM's CLI) describes the same database as the service: on a database the
 * service has migrated, the CLI finds every migration applied and reads the tables.
 */
import type { DataSource } from "typeorm";
import { useTestApp } from "./helpers/test-app";

describe("ormconfig.ts", () => {
  const suite = useTestApp();

  function loadWithEnv(env: Record<string, string | undefined>): DataSource {
    const saved = { ...process.env };
    Object.assign(process.env, env);
    for (const [key, value] of Object.entries(env)) if (value === undefined) delete process.env[key];
    try {
      let loaded: DataSource | undefined;
      // As the CLI does: evaluate the module with the environment it is given.
      jest.isolateModules(() => {
        loaded = (require("../../ormconfig") as { default: DataSource }).default;
      });
      return loaded as DataSource;
    } finally {
      process.env = saved;
    }
  }

  test("sees the service's migrations as applied, and its tables", async () => {
    const database = suite.t.config.database;
    if (database.kind !== "postgres") throw new Error("the test app always talks to a server (PGlite behind its socket)");
    const dataSource = loadWithEnv({ DATABASE_URL: database.url, DATABASE_POOL_SIZE: "1" });
    await dataSource.initialize();
    try {
      expect(await dataSource.showMigrations()).toBe(false); // false: nothing pending
      const executed: Array<{ name: string }> = await dataSource.query(`SELECT name FROM migrations ORDER BY id`);
      expect(executed.map((m) => m.name)).toEqual(dataSource.migrations.map((m) => m.name));
      expect(executed.length).toBeGreaterThanOrEqual(2);
      const [{ count }] = await dataSource.query(`SELECT count(*)::int AS count FROM scoring_model WHERE active`);
      expect(count).toBe(1);
    } finally {
      await dataSource.destroy();
    }
  });

  test("refuses the embedded database with a clear message", () => {
    expect(() => loadWithEnv({ DATABASE_URL: undefined })).toThrow("ormconfig.ts needs DATABASE_URL");
  });
});

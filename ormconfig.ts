/**
 * The DataSource of TypeORM's own CLI, on the PostgreSQL server of `DATABASE_URL`:
 *
 *   npm run build && DATABASE_URL=postgres://… npx typeorm -d dist/ormconfig.js migration:show
 *
 * The service needs none of this to run: it applies pending migrations itself on start, on the
 * embedded database and on a server alike (src/database/data-source.ts, same options).
 */
import "reflect-metadata";
import { DataSource } from "typeorm";
import { loadConfig } from "./src/config";
import { dataSourceOptions } from "./src/database/data-source";

/** The CLI's DataSource for these settings; refuses the embedded database (it lives inside `npm start`). */
export function cliDataSource(env: NodeJS.ProcessEnv): DataSource {
  const { database } = loadConfig(env);
  if (database.kind !== "postgres") {
    throw new Error("ormconfig.ts needs DATABASE_URL: the embedded database is migrated by `npm start` itself");
  }
  return new DataSource(dataSourceOptions(database.url, database.poolSize));
}

export default cliDataSource(process.env);

/**
 * The embedded database: PGlite (PostgreSQL compiled to WebAssembly) in this process, served on
 * a loopback port by `@electric-sql/pglite-socket`, so the rest of the service talks to it with
 * the same `pg` driver as to a real server.
 *
 * PGlite is ONE backend session: every client connection shares it, so two connections would
 * interleave their transactions. The service therefore uses a pool of one connection on it.
 */
import net from "node:net";
import fs from "node:fs";
import path from "node:path";

export interface EmbeddedDatabase {
  url: string;
  close(): Promise<void>;
}

/** Finds a free loopback port (the socket server needs a number up front). */
export async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = net.createServer();
    server.once("error", reject);
    server.listen(0, "127.0.0.1", () => {
      const address = server.address();
      server.close(() => resolve(typeof address === "object" && address ? address.port : 0));
    });
  });
}

/**
 * Starts PGlite with its data in `dataDir` (created if missing; `null`: in memory) and a socket
 * server on a free loopback port. Resolves with a `postgres://` URL for it.
 */
export async function startEmbeddedDatabase(dataDir: string | null): Promise<EmbeddedDatabase> {
  const { PGlite } = await import("@electric-sql/pglite");
  const { pg_trgm } = await import("@electric-sql/pglite/contrib/pg_trgm");
  const { PGLiteSocketServer } = await import("@electric-sql/pglite-socket");
  const releaseLock = dataDir ? lockDataDir(dataDir) : () => undefined;
  const db = await PGlite.create(dataDir ?? undefined, { extensions: { pg_trgm } });
  const port = await freePort();
  // More than one connection may be open (e.g. the pool reconnecting); queries are queued by the server.
  const server = new PGLiteSocketServer({ db, port, host: "127.0.0.1", maxConnections: 8 });
  await server.start();
  return {
    url: `postgres://postgres@127.0.0.1:${port}/postgres`,
    async close() {
      await server.stop();
      await db.close();
      releaseLock();
    },
  };
}

/** Another running process (a service, a CLI command) has the embedded database open. */
export class DataDirInUseError extends Error {
  constructor(
    readonly dataDir: string,
    readonly pid: number,
  ) {
    super(`the embedded database in ${dataDir} is in use by process ${pid}; stop it first (or set DATABASE_URL)`);
    this.name = "DataDirInUseError";
  }
}

/** The lock file of a data directory: the pid of the process that has the data open. */
const lockFileOf = (dataDir: string): string => path.join(dataDir, "qualify.lock");

/**
 * The process that holds the embedded database in `dataDir`, if one is running (not this one):
 * the pid in its lock file, when that process still runs. A lock left by a process that no longer
 * runs holds nothing. Cheap (no database code is loaded): `npm run demo` asks before it loads the
 * service.
 */
export function dataDirHolder(dataDir: string): number | null {
  let text: string;
  try {
    text = fs.readFileSync(lockFileOf(dataDir), "utf8");
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === "ENOENT") return null;
    throw err;
  }
  const pid = Number(text);
  if (!Number.isSafeInteger(pid) || pid <= 0 || pid === process.pid) return null;
  try {
    process.kill(pid, 0); // signal 0: only asks whether the process exists
    return pid;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === "EPERM" ? pid : null;
  }
}

/**
 * PGlite must be opened by one process at a time: a lock file holds the owner's pid, and a lock
 * left by a process that no longer runs is taken over.
 */
function lockDataDir(dataDir: string): () => void {
  fs.mkdirSync(dataDir, { recursive: true });
  const holder = dataDirHolder(dataDir);
  if (holder !== null) throw new DataDirInUseError(dataDir, holder);
  const lockFile = lockFileOf(dataDir);
  fs.writeFileSync(lockFile, String(process.pid));
  return () => fs.rmSync(lockFile, { force: true });
}

/**
 * Jest globalSetup (main process): a tiny loopback HTTP service that starts embedded databases
 * (PGlite behind pglite-socket, in memory) on request, one per API suite. PGlite runs here, not in
 * the jest workers (it needs ESM features the workers' module system lacks); the workers connect
 * to it with plain `pg`, as the service does. The URL goes to the workers via the environment.
 */
const http = require("node:http");
const net = require("node:net");

const freePort = () =>
  new Promise((resolve, reject) => {
    const server = net.createServer();
    server.once("error", reject);
    server.listen(0, "127.0.0.1", () => {
      const { port } = server.address();
      server.close(() => resolve(port));
    });
  });

module.exports = async function globalSetup() {
  const databases = new Map();
  let next = 1;
  const broker = http.createServer((req, res) => {
    const reply = (status, body) => {
      // No keep-alive: a client reusing a connection the server is closing meets "other side closed".
      res.writeHead(status, { "content-type": "application/json", connection: "close" });
      res.end(JSON.stringify(body));
    };
    const [, action, id] = (req.url || "").split("/");
    if (req.method === "POST" && action === "databases") {
      (async () => {
        const { PGlite } = require("@electric-sql/pglite");
        const { pg_trgm } = require("@electric-sql/pglite/contrib/pg_trgm");
        const { PGLiteSocketServer } = require("@electric-sql/pglite-socket");
        const db = await PGlite.create({ extensions: { pg_trgm } });
        const port = await freePort();
        const server = new PGLiteSocketServer({ db, port, host: "127.0.0.1", maxConnections: 8 });
        await server.start();
        const key = String(next++);
        databases.set(key, { db, server });
        reply(200, { id: key, url: `postgres://postgres@127.0.0.1:${port}/postgres` });
      })().catch((err) => reply(500, { error: String(err && err.stack) }));
    } else if (req.method === "DELETE" && action === "databases" && databases.has(id)) {
      const { db, server } = databases.get(id);
      databases.delete(id);
      server
        .stop()
        .then(() => db.close())
        .then(() => reply(200, { closed: id }), (err) => reply(500, { error: String(err) }));
    } else {
      reply(404, { error: "not found" });
    }
  });
  await new Promise((resolve) => broker.listen(0, "127.0.0.1", resolve));
  process.env.QUALIFY_TEST_PGLITE_BROKER = `http://127.0.0.1:${broker.address().port}`;
  globalThis.__qualifyPgliteBroker = { broker, databases };
};

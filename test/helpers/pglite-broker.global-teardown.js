/** Jest globalTeardown: stops the embedded-database broker and any database still open. */
module.exports = async function globalTeardown() {
  const state = globalThis.__qualifyPgliteBroker;
  if (!state) return;
  for (const { db, server } of state.databases.values()) {
    await server.stop().catch(() => undefined);
    await db.close().catch(() => undefined);
  }
  await new Promise((resolve) => state.broker.close(resolve));
};

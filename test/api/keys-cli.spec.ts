/**
 * `qualify keys` against a running service (QUALIFY_URL + QUALIFY_API_KEY): the CLI's command
 * function with captured output, over real HTTP. One-line errors and exit codes for scripts. On
 * PostgreSQL also the direct mode (the database, beside the running service).
 */
import net from "node:net";
import { main } from "../../src/cli/main";
import { API_KEYS, LEADS } from "./helpers/documents";
import { testDatabase, useTestApp } from "./helpers/test-app";

/** Runs `qualify …` with `env` as its environment and captured output. */
async function qualify(env: Record<string, string | undefined>, ...argv: string[]) {
  let stdout = "";
  let stderr = "";
  const code = await main(argv, {
    stdout: { write: (t: string) => (stdout += t) },
    stderr: { write: (t: string) => (stderr += t) },
    cwd: process.cwd(),
    env,
  });
  return { code, stdout, stderr };
}

/** A loopback port nothing listens on. */
async function closedPort(): Promise<number> {
  const server = net.createServer();
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const { port } = server.address() as net.AddressInfo;
  await new Promise((resolve) => server.close(resolve));
  return port;
}

describe(`qualify keys through a running service [${testDatabase()}]`, () => {
  const s = useTestApp();
  const remote = () => ({ QUALIFY_URL: s.t.app.url, QUALIFY_API_KEY: s.api.key as string });

  it("create prints the key once (stdout: the key alone), list shows it without the key, revoke ends it", async () => {
    const created = await qualify(remote(), "keys", "create", "--scopes", "read, ingest", "--name", "web tracker");
    expect(created.code).toBe(0);
    const key = created.stdout.trim();
    expect(created.stdout).toMatch(/^qk_[A-Za-z0-9_-]{43}\n$/);
    expect(created.stderr).toMatch(new RegExp(`^created key ${key.slice(0, 10)}… "web tracker" \\(id [0-9a-f-]{36}\\) with scopes read,ingest: shown only now\\n$`));
    expect((await s.api.as(key).request(LEADS, { first: 1 })).status).toBe(200);

    const listed = await qualify(remote(), "keys", "list");
    expect(listed).toMatchObject({ code: 0, stderr: "" });
    expect(listed.stdout).not.toContain(key.slice(10));
    const lines = listed.stdout.trimEnd().split("\n");
    expect(lines[0]).toMatch(/^id\s+prefix\s+scopes\s+created\s+status\s+last used\s+name$/);
    const row = lines.find((l) => l.endsWith("web tracker")) as string;
    expect(row.split(/\s{2,}/)).toEqual([expect.any(String), key.slice(0, 10), "read,ingest", expect.any(String), "active", expect.stringMatching(/^\d{4}-/), "web tracker"]);

    const revoked = await qualify(remote(), "keys", "revoke", key.slice(0, 10));
    expect(revoked.code).toBe(0);
    expect(revoked.stderr).toMatch(new RegExp(`^revoked key ${key.slice(0, 10)}… "web tracker" at \\d{4}-.*Z\\n$`));
    expect((await s.api.as(key).request(LEADS, { first: 1 })).status).toBe(401); // at once, on this instance
    const listedAfter = await qualify(remote(), "keys", "list");
    expect(listedAfter.stdout.split("\n").find((l) => l.endsWith("web tracker"))).toMatch(/\srevoked\s/);

    const again = await qualify(remote(), "keys", "revoke", key.slice(0, 10));
    expect(again.code).toBe(0);
    expect(again.stderr).toMatch(/was already revoked at \d{4}-/);
    // The key was made by the service's API, on behalf of the CLI's key.
    const [made] = (await s.api.data(API_KEYS)).apiKeys.filter((k) => k.name === "web tracker");
    expect(made).toMatchObject({ createdBy: "QUALIFY_ADMIN_KEY", revokedBy: "QUALIFY_ADMIN_KEY" });
  });

  it("revoke by id works too; an unknown key is exit 1", async () => {
    const key = (await qualify(remote(), "keys", "create", "--scopes", "sales")).stdout.trim();
    const [made] = (await s.api.data(API_KEYS)).apiKeys.filter((k) => k.prefix === key.slice(0, 10));
    expect(made.name).toBe("key sales");
    expect(await qualify(remote(), "keys", "revoke", made.id)).toMatchObject({ code: 0 });
    expect(await qualify(remote(), "keys", "revoke", "qk_NoSuchK")).toEqual({ code: 1, stdout: "", stderr: "qualify: no key qk_NoSuchK (see qualify keys list)\n" });
  });

  it("invalid arguments: exit 2, one line, nothing created", async () => {
    const before = (await s.api.data(API_KEYS)).apiKeys.length;
    expect(await qualify(remote(), "keys", "create", "--scopes", "read,owner")).toEqual({
      code: 2,
      stdout: "",
      stderr: 'qualify: --scopes must be a comma-separated list of read, ingest, sales, admin (got "read,owner")\n',
    });
    expect(await qualify(remote(), "keys", "create", "--scopes", "read", "--name", " ")).toEqual({
      code: 2,
      stdout: "",
      stderr: "qualify: name: must not be empty (BAD_USER_INPUT)\n",
    });
    expect((await qualify(remote(), "keys", "create")).code).toBe(2);
    expect((await qualify(remote(), "keys", "remove", "x")).code).toBe(2);
    expect((await s.api.data(API_KEYS)).apiKeys.length).toBe(before);
  });

  it("a refused key, a key without admin, an unreachable service, half the settings: one line each, exit codes for scripts", async () => {
    const reader = await s.t.client(["read"]);
    expect(await qualify({ ...remote(), QUALIFY_API_KEY: "qk_AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA" }, "keys", "list")).toEqual({
      code: 2,
      stdout: "",
      stderr: `qualify: the service at ${s.t.app.url} refused QUALIFY_API_KEY (unknown or revoked key)\n`,
    });
    expect(await qualify({ ...remote(), QUALIFY_API_KEY: reader.key as string }, "keys", "create", "--scopes", "admin")).toEqual({
      code: 2,
      stdout: "",
      stderr: "qualify: QUALIFY_API_KEY is not an admin key (managing keys needs the admin scope)\n",
    });
    const nowhere = `http://127.0.0.1:${await closedPort()}/graphql`;
    expect(await qualify({ ...remote(), QUALIFY_URL: nowhere }, "keys", "list")).toEqual({
      code: 3,
      stdout: "",
      stderr: `qualify: cannot reach the service at ${nowhere} (ECONNREFUSED)\n`,
    });
    const notGraphQL = s.t.app.url.replace(/\/graphql$/, "/health/nothing");
    expect(await qualify({ ...remote(), QUALIFY_URL: notGraphQL }, "keys", "list")).toMatchObject({ code: 3, stderr: expect.stringMatching(/^qualify: .* answered HTTP 404, not GraphQL: is QUALIFY_URL the service's \/graphql URL\?\n$/) });
    expect(await qualify({ QUALIFY_URL: s.t.app.url }, "keys", "list")).toEqual({
      code: 2,
      stdout: "",
      stderr: "qualify: QUALIFY_URL is set but QUALIFY_API_KEY is not: set both to use a running service, or neither to use the database\n",
    });
    expect(await qualify({ ...remote(), QUALIFY_URL: "127.0.0.1:4000" }, "keys", "list")).toMatchObject({ code: 2, stderr: expect.stringMatching(/^qualify: QUALIFY_URL must be the service's http\(s\) GraphQL URL/) });
  });

  (testDatabase() === "postgres" ? it : it.skip)("without QUALIFY_URL: the database directly (a server beside the running service)", async () => {
    const direct = { DATABASE_URL: (s.t.config.database as { url: string }).url, QUALIFY_LOG_LEVEL: "silent" };
    const created = await qualify(direct, "keys", "create", "--scopes", "read", "--name", "made on the database");
    expect(created.code).toBe(0);
    const key = created.stdout.trim();
    expect((await s.api.as(key).request(LEADS, { first: 1 })).status).toBe(200);
    const [made] = (await s.api.data(API_KEYS)).apiKeys.filter((k) => k.name === "made on the database");
    expect(made.createdBy).toBe("qualify keys (database)");
    expect((await qualify(direct, "keys", "list")).stdout).toContain("made on the database");
    expect((await qualify(direct, "keys", "revoke", made.prefix)).code).toBe(0);
    await new Promise((resolve) => setTimeout(resolve, 1100)); // another process: the service's trust window
    expect((await s.api.as(key).request(LEADS, { first: 1 })).status).toBe(401);
  });
});

describe(`qualify keys and the last admin key [${testDatabase()}]`, () => {
  const s = useTestApp({ QUALIFY_ADMIN_KEY: "" });

  it("revoking the only admin key: exit 1 with the reason, and the key keeps working", async () => {
    const remote = { QUALIFY_URL: s.t.app.url, QUALIFY_API_KEY: s.t.app.firstAdminKey as string };
    const res = await qualify(remote, "keys", "revoke", (s.t.app.firstAdminKey as string).slice(0, 10));
    expect(res.code).toBe(1);
    expect(res.stderr).toMatch(/^qualify: This is the last active admin key: create another admin key first .*\(CONFLICT\)\n$/);
    expect((await qualify(remote, "keys", "list")).code).toBe(0);
  });
});

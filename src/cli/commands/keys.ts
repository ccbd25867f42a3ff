/**
 * `qualify keys create --scopes read,ingest [--name NAME]`, `qualify keys list`,
 * `qualify keys revoke <id or prefix>`: API keys of a running service when `QUALIFY_URL` and
 * `QUALIFY_API_KEY` (an admin key) are set, through its GraphQL API; otherwise on the configured
 * database (the settings of `npm start`), which on the embedded database needs the service
 * stopped (PGlite is one process). Every failure is one line on stderr and an exit code
 * (`command.ts`): 1 the service refused (no such key, the last admin key), 2 usage, settings or a
 * refused API key, 3 unreachable.
 */
import { loadConfig, loadRemoteService } from "../../config";
import type { Scope } from "../../entities/api-key.entity";
import { type ApiKeyStore, directKeyStore, type KeyRow, remoteKeyStore } from "../api-key.store";
import { CliError, type CliIo, type Command, EXIT_OK, EXIT_PROBLEMS, EXIT_USAGE } from "../command";
import { reportFailure } from "../service";

const USAGE = "keys create --scopes read,ingest,sales,admin [--name NAME] | keys list | keys revoke ID_OR_PREFIX";

/** Reads `--flag value` pairs; null (after printing usage) on anything unexpected. */
function options(args: string[], allowed: readonly string[], io: CliIo): Map<string, string> | null {
  const found = new Map<string, string>();
  for (let i = 0; i < args.length; i += 2) {
    const [flag, value] = [args[i], args[i + 1]];
    if (!allowed.includes(flag) || value === undefined) {
      io.stderr.write(`qualify: unexpected ${flag ?? "end of arguments"}\nusage: qualify ${USAGE}\n`);
      return null;
    }
    found.set(flag, value);
  }
  return found;
}

/** A comma-separated scope list (`read,ingest`), checked against the scopes there are. */
async function parseScopes(text: string): Promise<Scope[]> {
  // The entity (and TypeORM with it) is loaded only for this command.
  const { SCOPES } = await import("../../entities/api-key.entity");
  const scopes = text
    .split(",")
    .map((s) => s.trim().toLowerCase())
    .filter((s) => s !== "");
  if (scopes.length === 0 || scopes.some((s) => !(SCOPES as readonly string[]).includes(s))) {
    throw new CliError(EXIT_USAGE, `--scopes must be a comma-separated list of ${SCOPES.join(", ")} (got "${text}")`);
  }
  return [...new Set(scopes)] as Scope[];
}

const time = (date: Date | null, none: string): string => (date ? date.toISOString() : none);

function printList(keys: KeyRow[], io: CliIo): void {
  const rows = [
    ["id", "prefix", "scopes", "created", "status", "last used", "name"],
    ...keys.map((k) => [k.id, k.prefix, k.scopes.join(","), time(k.createdAt, ""), k.revokedAt ? "revoked" : "active", time(k.lastUsedAt, "never"), k.name]),
  ];
  const widths = rows[0].map((_, i) => Math.max(...rows.map((r) => r[i].length)));
  for (const row of rows) io.stdout.write(`${row.map((cell, i) => (i === row.length - 1 ? cell : cell.padEnd(widths[i]))).join("  ")}\n`);
}

/** The one key `idOrPrefix` names (an id, or a prefix as `keys list` shows it). */
async function keyNamed(store: ApiKeyStore, idOrPrefix: string): Promise<KeyRow> {
  const matches = (await store.list()).filter((k) => k.id === idOrPrefix || k.prefix === idOrPrefix);
  if (matches.length === 0) throw new CliError(EXIT_PROBLEMS, `no key ${idOrPrefix} (see qualify keys list)`);
  if (matches.length > 1) throw new CliError(EXIT_PROBLEMS, `${matches.length} keys start with ${idOrPrefix}: give the id`);
  return matches[0];
}

/** What one action does with a store, once its arguments are known to be right. */
type Action = (store: ApiKeyStore) => Promise<number>;

/** The action `args` ask for; null (after printing usage) when they make no sense. */
function actionOf(args: string[], io: CliIo): Action | null {
  const [action, ...rest] = args;
  if (action === "create") {
    const opts = options(rest, ["--scopes", "--name"], io);
    if (!opts) return null;
    const scopesText = opts.get("--scopes");
    if (scopesText === undefined) {
      io.stderr.write(`qualify: keys create needs --scopes\nusage: qualify ${USAGE}\n`);
      return null;
    }
    return async (store) => {
      const scopes = await parseScopes(scopesText);
      const { key, record } = await store.create(opts.get("--name") ?? `key ${scopes.join(",")}`, scopes);
      // The key alone on stdout (KEY=$(qualify keys create …)); what it is on stderr.
      io.stdout.write(`${key}\n`);
      io.stderr.write(`created key ${record.prefix}… "${record.name}" (id ${record.id}) with scopes ${record.scopes.join(",")}: shown only now\n`);
      return EXIT_OK;
    };
  }
  if (action === "list" && rest.length === 0) {
    return async (store) => {
      printList(await store.list(), io);
      return EXIT_OK;
    };
  }
  if (action === "revoke" && rest.length === 1) {
    return async (store) => {
      const key = await keyNamed(store, rest[0].trim());
      // Revoking is idempotent, as in the API: a revoked key stays revoked, and that is success.
      const revoked = key.revokedAt ? key : await store.revoke(key.id);
      const when = time(revoked.revokedAt, "");
      io.stderr.write(key.revokedAt ? `key ${key.prefix}… "${key.name}" was already revoked at ${when}\n` : `revoked key ${key.prefix}… "${key.name}" at ${when}\n`);
      return EXIT_OK;
    };
  }
  io.stderr.write(`usage: qualify ${USAGE}\n`);
  return null;
}

export const keysCommand: Command = {
  name: "keys",
  usage: "keys create|list|revoke",
  summary: "manage API keys (create --scopes read,ingest; list; revoke ID_OR_PREFIX); through a running service with QUALIFY_URL and QUALIFY_API_KEY",
  async run(args: string[], io: CliIo): Promise<number> {
    const action = actionOf(args, io);
    if (!action) return EXIT_USAGE;
    let store: ApiKeyStore | null = null;
    try {
      const remote = loadRemoteService(io.env);
      store = remote ? remoteKeyStore(remote) : await directKeyStore(loadConfig(io.env, io.cwd));
      return await action(store);
    } catch (err) {
      return reportFailure(io, err);
    } finally {
      await store?.close();
    }
  },
};

/**
 * Where `qualify keys` manages keys: a running service over GraphQL (`QUALIFY_URL` and
 * `QUALIFY_API_KEY`), or the database directly (the settings of `npm start`; on the embedded
 * database only while the service is stopped). Both answer the same rows and the same errors.
 */
import type { Config, RemoteService } from "../config";
import type { Caller } from "../context";
import type { Scope } from "../entities/api-key.entity";
import { CliError, EXIT_UNAVAILABLE, EXIT_USAGE } from "./command";
import { exitCodeOf, GraphQLClient, gql } from "./graphql.client";

/** A key as the commands print it. */
export interface KeyRow {
  id: string;
  name: string;
  prefix: string;
  /** Lower case, as `--scopes` takes them. */
  scopes: string[];
  createdAt: Date;
  createdBy: string | null;
  revokedAt: Date | null;
  revokedBy: string | null;
  lastUsedAt: Date | null;
}

export interface ApiKeyStore {
  create(name: string, scopes: Scope[]): Promise<{ key: string; record: KeyRow }>;
  /** Every key, newest first, revoked ones included. */
  list(): Promise<KeyRow[]>;
  /** Revokes the key `id` (a revoked key is answered as it is). */
  revoke(id: string): Promise<KeyRow>;
  close(): Promise<void>;
}

/** The name a key created or revoked by the CLI on the database records as `createdBy` / `revokedBy`. */
export const DIRECT_CALLER_NAME = "qualify keys (database)";

interface RemoteKey extends Omit<KeyRow, "createdAt" | "revokedAt" | "lastUsedAt"> {
  createdAt: string;
  revokedAt: string | null;
  lastUsedAt: string | null;
}

const KEY_FIELDS = "fragment KeyFields on ApiKey { id name prefix scopes createdAt createdBy revokedAt revokedBy lastUsedAt }";

const API_KEYS = gql<{ apiKeys: RemoteKey[] }>(`query ApiKeys { apiKeys { ...KeyFields } } ${KEY_FIELDS}`);

const CREATE_API_KEY = gql<{ createApiKey: { key: string; apiKey: RemoteKey } }, { name: string; scopes: string[] }>(`
  mutation CreateApiKey($name: String!, $scopes: [Scope!]!) { createApiKey(name: $name, scopes: $scopes) { key apiKey { ...KeyFields } } }
  ${KEY_FIELDS}`);

const REVOKE_API_KEY = gql<{ revokeApiKey: RemoteKey }, { id: string }>(`
  mutation RevokeApiKey($id: ID!) { revokeApiKey(id: $id) { ...KeyFields } } ${KEY_FIELDS}`);

const dateOrNull = (text: string | null): Date | null => (text === null ? null : new Date(text));

function fromRemote(k: RemoteKey): KeyRow {
  return {
    ...k,
    scopes: k.scopes.map((s) => s.toLowerCase()),
    createdAt: new Date(k.createdAt),
    revokedAt: dateOrNull(k.revokedAt),
    lastUsedAt: dateOrNull(k.lastUsedAt),
  };
}

/** The keys of the service at `remote.url`, through its GraphQL API (an admin key). */
export function remoteKeyStore(remote: RemoteService): ApiKeyStore {
  const client = new GraphQLClient(remote.url, remote.apiKey);
  return {
    async create(name, scopes) {
      const { createApiKey } = await client.request(CREATE_API_KEY, { name, scopes: scopes.map((s) => s.toUpperCase()) });
      return { key: createApiKey.key, record: fromRemote(createApiKey.apiKey) };
    },
    list: async () => (await client.request(API_KEYS, {})).apiKeys.map(fromRemote),
    revoke: async (id) => fromRemote((await client.request(REVOKE_API_KEY, { id })).revokeApiKey),
    close: async () => undefined,
  };
}

/**
 * The keys in the configured database, through the service layer (no HTTP). On the embedded
 * database this needs the data directory, which a running service holds: then it says how to
 * go through the service instead.
 */
export async function directKeyStore(config: Config): Promise<ApiKeyStore> {
  // The service is loaded only here, so the rule-language commands stay fast.
  await import("reflect-metadata");
  const [{ createLogger }, { startApp }, { DomainError }, { DataDirInUseError }] = await Promise.all([
    import("../logger"),
    import("../app/start-app"),
    import("../errors"),
    import("../database/embedded-database"),
  ]);
  const app = await startApp(config, createLogger("warn", { secrets: config.adminKey ? [config.adminKey] : [] }), { noHttp: true }).catch((err: unknown) => {
    if (!(err instanceof DataDirInUseError)) {
      throw new CliError(EXIT_UNAVAILABLE, `cannot open the database: ${err instanceof Error ? err.message : String(err)}`);
    }
    // The URL the service listens on with these settings (any interface: loopback reaches it).
    const host = config.host === "0.0.0.0" || config.host === "::" ? "127.0.0.1" : config.host;
    throw new CliError(
      EXIT_USAGE,
      `the embedded database in ${err.dataDir} is in use by process ${err.pid} (a running service holds it): ` +
        `stop it first, or manage keys through it with QUALIFY_URL=http://${host}:${config.port}/graphql and QUALIFY_API_KEY=<an admin key>`,
    );
  });
  const caller: Caller = { keyId: null, name: DIRECT_CALLER_NAME, scopes: new Set<Scope>(["admin"]) };
  const ctx = () => app.context(caller);
  // Domain errors (an invalid name, the last admin key) end the command as the service's answers would.
  const asCliError = <T>(work: Promise<T>): Promise<T> =>
    work.catch((err: unknown) => {
      throw err instanceof DomainError ? new CliError(exitCodeOf(err.code), `${err.message} (${err.code})`) : err;
    });
  return {
    create: (name, scopes) => asCliError(app.services.apiKeys.create(ctx(), name, scopes)),
    list: () => app.services.apiKeys.list(ctx()),
    revoke: (id) => asCliError(app.services.apiKeys.revoke(ctx(), id)),
    close: async () => void (await app.close()),
  };
}

/**
 * `qualify keys create --scopes read,ingest [--name NAME]`, `qualify keys list`,
 * `qualify keys revoke <id or prefix>`: API keys on the configured database (the same settings
 * as `npm start`). On the embedded database, stop the server first: PGlite is one process.
 */
import type { RunningApp } from "../../app/start-app";
import { type CliIo, type Command, EXIT_OK, EXIT_PROBLEMS, EXIT_USAGE } from "../command";

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

export const keysCommand: Command = {
  name: "keys",
  usage: "keys create|list|revoke",
  summary: "manage API keys (create --scopes read,ingest; list; revoke ID_OR_PREFIX)",
  async run(args: string[], io: CliIo): Promise<number> {
    const [action, ...rest] = args;
    // The service is loaded only for this command, so the rule-language commands stay fast.
    await import("reflect-metadata");
    const [{ loadConfig }, { createLogger }, { startApp }, { parseScopes }, { DomainError }] = await Promise.all([
      import("../../config"),
      import("../../logger"),
      import("../../app/start-app"),
      import("../../services/api-key.service"),
      import("../../errors"),
    ]);
    let work: ((app: RunningApp) => Promise<number>) | null = null;
    if (action === "create") {
      const opts = options(rest, ["--scopes", "--name"], io);
      if (!opts) return EXIT_USAGE;
      const scopesText = opts.get("--scopes");
      if (!scopesText) {
        io.stderr.write(`qualify: keys create needs --scopes\nusage: qualify ${USAGE}\n`);
        return EXIT_USAGE;
      }
      work = async (app) => {
        const scopes = parseScopes(scopesText);
        const name = opts.get("--name") ?? `key ${scopes.join(",")}`;
        const { key, record } = await app.services.apiKeys.create(app.context(null), name, scopes);
        io.stdout.write(`${key}\n`);
        io.stderr.write(`created key ${record.prefix}… "${record.name}" with scopes ${scopes.join(",")} (shown only now)\n`);
        return EXIT_OK;
      };
    } else if (action === "list" && rest.length === 0) {
      work = async (app) => {
        const keys = await app.services.apiKeys.list(app.context(null));
        io.stdout.write("id                                    prefix      scopes              created                   status   name\n");
        for (const k of keys) {
          const status = k.revokedAt ? "revoked" : "active";
          io.stdout.write(
            `${k.id}  ${k.prefix.padEnd(10)}  ${k.scopes.join(",").padEnd(18)}  ${k.createdAt.toISOString()}  ${status.padEnd(7)}  ${k.name}\n`,
          );
        }
        return EXIT_OK;
      };
    } else if (action === "revoke" && rest.length === 1) {
      work = async (app) => {
        const revoked = await app.services.apiKeys.revoke(app.context(null), rest[0]);
        io.stderr.write(revoked ? `revoked ${rest[0]}\n` : `qualify: no active key ${rest[0]}\n`);
        return revoked ? EXIT_OK : EXIT_PROBLEMS;
      };
    }
    if (!work) {
      io.stderr.write(`usage: qualify ${USAGE}\n`);
      return EXIT_USAGE;
    }
    const config = loadConfig();
    const app = await startApp(config, createLogger("warn", { secrets: config.adminKey ? [config.adminKey] : [] }), { noHttp: true });
    try {
      return await work(app);
    } catch (err) {
      if (!(err instanceof DomainError)) throw err;
      io.stderr.write(`qualify: ${err.message}\n`);
      return EXIT_USAGE;
    } finally {
      await app.close();
    }
  },
};

/**
 * API keys: every key (revoked ones too) with its scopes and when it was made and last used; a
 * form to make one (its secret shown once); revoke with a confirmation. The key this tab is signed
 * in with is marked: revoking it signs the tab out.
 */
import { type FormEvent, useState } from "react";
import { describeError, request } from "../api/client";
import { ConfirmButton } from "../components/ConfirmButton";
import { SecretOnce } from "../components/SecretOnce";
import { graphql } from "../gql";
import type { ApiKeysQuery, Scope } from "../gql/graphql";
import { useSession } from "../session";
import { formatDate } from "./dates";
import { useLoad } from "./use-load";

const API_KEYS = graphql(`
  query ApiKeys {
    apiKeys {
      id
      name
      prefix
      scopes
      createdAt
      createdBy
      lastUsedAt
      revokedAt
      revokedBy
      rateLimit {
        requests
        cost
        windowSeconds
        custom
      }
    }
  }
`);

const CREATE_API_KEY = graphql(`
  mutation CreateApiKey($name: String!, $scopes: [Scope!]!) {
    createApiKey(name: $name, scopes: $scopes) {
      key
      apiKey {
        id
        name
      }
    }
  }
`);

const REVOKE_API_KEY = graphql(`
  mutation RevokeApiKey($id: ID!) {
    revokeApiKey(id: $id) {
      id
      revokedAt
    }
  }
`);

type ApiKey = ApiKeysQuery["apiKeys"][number];

/** The scopes, in the order a person reads them, with what each allows. */
const SCOPES: ReadonlyArray<{ scope: Scope; label: string; help: string }> = [
  { scope: "READ", label: "read", help: "queries and live updates: leads, the model, the funnel" },
  { scope: "INGEST", label: "ingest", help: "record leads and interactions (trackers, forms, imports)" },
  { scope: "SALES", label: "sales", help: "move a lead's stage (accept, recycle)" },
  { scope: "ADMIN", label: "admin", help: "everything: publish models, keys, webhooks, delete leads" },
];

export function ApiKeysSection() {
  const keys = useLoad(() => request(API_KEYS), []);
  const [created, setCreated] = useState<{ name: string; key: string } | null>(null);

  return (
    <section aria-labelledby="api-keys-heading" className="admin-section">
      <h2 id="api-keys-heading">API keys</h2>
      <p className="help">
        Each client gets its own key with only the scopes it needs. A key is shown once, when it is made; the service keeps only a hash.
      </p>
      {created && (
        <SecretOnce
          label={`New API key “${created.name}”`}
          secret={created.key}
          hint="Send it as Authorization: Bearer <key>."
          onDone={() => setCreated(null)}
        />
      )}
      <CreateKeyForm
        onCreated={(name, key) => {
          setCreated({ name, key });
          keys.reload();
        }}
      />
      {keys.error && (
        <p role="alert" className="error">
          Could not load the keys: {keys.error}
        </p>
      )}
      {keys.data ? <KeysTable keys={keys.data.apiKeys} onChanged={keys.reload} /> : !keys.error && <p aria-busy="true">Loading keys…</p>}
    </section>
  );
}

function CreateKeyForm({ onCreated }: { onCreated: (name: string, key: string) => void }) {
  const [name, setName] = useState("");
  const [scopes, setScopes] = useState<Set<Scope>>(new Set(["READ"]));
  const [error, setError] = useState<string | null>(null);
  const [busy, setBusy] = useState(false);

  async function submit(event: FormEvent) {
    event.preventDefault();
    if (!name.trim()) return setError("Give the key a name: who or what uses it.");
    if (scopes.size === 0) return setError("Choose at least one scope.");
    setBusy(true);
    setError(null);
    try {
      const { createApiKey } = await request(CREATE_API_KEY, { name: name.trim(), scopes: [...scopes] });
      // Only a success clears the form: a failed request leaves what was typed.
      setName("");
      setScopes(new Set(["READ"]));
      onCreated(createApiKey.apiKey.name, createApiKey.key);
    } catch (err) {
      setError(describeError(err));
    } finally {
      setBusy(false);
    }
  }

  const toggle = (scope: Scope, on: boolean) =>
    setScopes((current) => {
      const next = new Set(current);
      if (on) next.add(scope);
      else next.delete(scope);
      return next;
    });

  return (
    <form onSubmit={submit} aria-label="New API key" className="admin-form">
      <div className="field">
        <label htmlFor="new-key-name">Name</label>
        <input id="new-key-name" value={name} onChange={(e) => setName(e.target.value)} maxLength={100} aria-describedby="new-key-name-help" />
        <span id="new-key-name-help" className="help">
          Who or what uses it, e.g. “website tracker” or “Dana (sales)”.
        </span>
      </div>
      <fieldset>
        <legend>Scopes</legend>
        {SCOPES.map(({ scope, label, help }) => (
          <label key={scope} className="check">
            <input type="checkbox" checked={scopes.has(scope)} onChange={(e) => toggle(scope, e.target.checked)} /> {label}{" "}
            <span className="help">— {help}</span>
          </label>
        ))}
      </fieldset>
      {error && (
        <p role="alert" className="error">
          {error}
        </p>
      )}
      <div>
        <button type="submit" disabled={busy}>
          {busy ? "Creating…" : "Create key"}
        </button>
      </div>
    </form>
  );
}

function KeysTable({ keys, onChanged }: { keys: ApiKey[]; onChanged: () => void }) {
  const session = useSession();
  const [rowError, setRowError] = useState<{ id: string; message: string } | null>(null);
  const [busyId, setBusyId] = useState<string | null>(null);

  async function revoke(key: ApiKey) {
    setBusyId(key.id);
    setRowError(null);
    try {
      await request(REVOKE_API_KEY, { id: key.id });
      if (key.id === session.viewer?.id) session.signOut("You revoked the key this tab was signed in with: sign in with another.");
      else onChanged();
    } catch (err) {
      setRowError({ id: key.id, message: describeError(err) });
    } finally {
      setBusyId(null);
    }
  }

  if (keys.length === 0) return <p>No keys yet.</p>;
  return (
    <table aria-label="API keys">
      <thead>
        <tr>
          <th scope="col">Name</th>
          <th scope="col">Prefix</th>
          <th scope="col">Scopes</th>
          <th scope="col">Created</th>
          <th scope="col">Last used</th>
          <th scope="col">Status</th>
          <th scope="col">
            <span className="sr-only">Actions</span>
          </th>
        </tr>
      </thead>
      <tbody>
        {keys.map((key) => {
          const mine = key.id === session.viewer?.id;
          return (
            <tr key={key.id} className={key.revokedAt ? "revoked" : undefined}>
              <th scope="row">
                {key.name}
                {mine && <span className="tag">this tab’s key</span>}
              </th>
              <td>
                <code>{key.prefix}…</code>
              </td>
              <td>{key.scopes.map((s) => s.toLowerCase()).join(", ")}</td>
              <td>
                <time dateTime={key.createdAt}>{formatDate(key.createdAt)}</time>
                {key.createdBy && <span className="help"> by {key.createdBy}</span>}
              </td>
              <td>{key.lastUsedAt ? <time dateTime={key.lastUsedAt}>{formatDate(key.lastUsedAt)}</time> : <span className="help">never</span>}</td>
              <td>
                {key.revokedAt ? (
                  <>
                    Revoked <time dateTime={key.revokedAt}>{formatDate(key.revokedAt)}</time>
                    {key.revokedBy && <span className="help"> by {key.revokedBy}</span>}
                  </>
                ) : (
                  "Active"
                )}
              </td>
              <td>
                {!key.revokedAt && (
                  <ConfirmButton
                    label="Revoke"
                    accessibleName={`Revoke ${key.name}`}
                    disabled={busyId === key.id}
                    question={
                      mine
                        ? `Revoke ${key.name}? It is the key you are signed in with: this tab will be signed out.`
                        : `Revoke ${key.name}? Every client using it is refused from now on; this cannot be undone.`
                    }
                    confirmLabel="Yes, revoke"
                    onConfirm={() => void revoke(key)}
                  />
                )}
                {rowError?.id === key.id && (
                  <p role="alert" className="error">
                    {rowError.message}
                  </p>
                )}
              </td>
            </tr>
          );
        })}
      </tbody>
    </table>
  );
}

/**
 * Sign in with an API key (kept for this tab's session only). The first start of the service
 * prints an admin key; `createApiKey` makes others.
 */
import { type FormEvent, useState } from "react";
import { describeError } from "../api/client";
import { useSession } from "../session";

export function SignInPage() {
  const session = useSession();
  const [key, setKey] = useState("");
  const [error, setError] = useState<string | null>(null);
  const [busy, setBusy] = useState(false);

  async function submit(event: FormEvent) {
    event.preventDefault();
    setBusy(true);
    setError(null);
    try {
      await session.signIn(key);
    } catch (err) {
      setError(describeError(err));
    } finally {
      setBusy(false);
    }
  }

  return (
    <main className="signin">
      <h1>Qualify workbench</h1>
      <p>Write and test the scoring model, preview and publish it, explore leads and the funnel.</p>
      {session.endedBecause && (
        <p role="status" className="notice">
          {session.endedBecause}
        </p>
      )}
      <form onSubmit={submit} aria-label="Sign in">
        <label htmlFor="api-key">API key</label>
        <input
          id="api-key"
          name="api-key"
          type="password"
          autoComplete="off"
          spellCheck={false}
          value={key}
          onChange={(e) => setKey(e.target.value)}
          aria-describedby="api-key-help"
          aria-invalid={error ? true : undefined}
        />
        <p id="api-key-help" className="help">
          The key the service printed on its first start, or one made by an admin. It is kept for this tab only.
        </p>
        {error && (
          <p role="alert" className="error">
            {error}
          </p>
        )}
        <button type="submit" disabled={busy}>
          {busy ? "Signing in…" : "Sign in"}
        </button>
      </form>
      <p className="help">
        Also here: <a href="/about">about this service</a> (the GraphQL API, its docs, and GraphiQL where it is on)
      </p>
    </main>
  );
}

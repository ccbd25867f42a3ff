/**
 * Administration (admin keys only): the API keys and the webhooks. A key without the admin scope
 * gets a sentence saying so, not a page of refusals.
 */
import { ApiKeysSection } from "../admin/ApiKeysSection";
import { WebhooksSection } from "../admin/WebhooksSection";
import { useSession } from "../session";

export default function AdminPage() {
  const session = useSession();
  if (!session.viewer) return <p aria-busy="true">Loading…</p>;
  if (!session.can("ADMIN")) {
    return (
      <>
        <h1>Admin</h1>
        <p>
          API keys and webhooks are managed with an admin key; this one ({session.viewer.name}) has{" "}
          {session.viewer.effectiveScopes.map((s) => s.toLowerCase()).join(", ") || "no scopes"}. Ask an admin for a key, or sign in with one.
        </p>
      </>
    );
  }
  return (
    <>
      <h1>Admin</h1>
      <ApiKeysSection />
      <WebhooksSection />
    </>
  );
}

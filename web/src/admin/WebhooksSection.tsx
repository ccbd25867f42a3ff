/**
 * Webhooks: every destination with what it hears; a form to add one (its signing secret shown
 * once); switch one off and on; delete with a confirmation; and each one's deliveries.
 */
import { type FormEvent, useEffect, useState } from "react";
import { describeError, request } from "../api/client";
import { ConfirmButton } from "../components/ConfirmButton";
import { SecretOnce } from "../components/SecretOnce";
import { graphql } from "../gql";
import type { WebhookEvent, WebhooksQuery } from "../gql/graphql";
import { formatDate } from "./dates";
import { useLoad } from "./use-load";
import { WebhookDeliveries } from "./WebhookDeliveries";

const WEBHOOKS = graphql(`
  query Webhooks {
    webhooks {
      id
      url
      description
      events
      stages
      active
      createdAt
      deactivatedAt
      deactivatedReason
    }
    activeModel {
      funnel
      offPath
    }
  }
`);

const CREATE_WEBHOOK = graphql(`
  mutation CreateWebhook($input: WebhookInput!) {
    createWebhook(input: $input) {
      secret
      webhook {
        id
        url
      }
    }
  }
`);

const UPDATE_WEBHOOK = graphql(`
  mutation UpdateWebhook($id: ID!, $input: WebhookInput!) {
    updateWebhook(id: $id, input: $input) {
      id
      active
    }
  }
`);

const DELETE_WEBHOOK = graphql(`
  mutation DeleteWebhook($id: ID!) {
    deleteWebhook(id: $id)
  }
`);

type Webhook = WebhooksQuery["webhooks"][number];

const EVENTS: ReadonlyArray<{ event: WebhookEvent; label: string }> = [
  { event: "LEAD_STAGE_CHANGED", label: "a lead changes stage" },
  { event: "LEAD_CREATED", label: "a lead is created" },
  { event: "LEAD_SCORED", label: "a lead is scored" },
  { event: "LEAD_DELETED", label: "a lead is deleted" },
];

const eventWords = (event: WebhookEvent) => event.toLowerCase().replace(/_/g, " ");

export function WebhooksSection() {
  const hooks = useLoad(() => request(WEBHOOKS), []);
  const [created, setCreated] = useState<{ url: string; secret: string } | null>(null);
  const stages = hooks.data?.activeModel ? [...hooks.data.activeModel.funnel, ...hooks.data.activeModel.offPath] : [];

  return (
    <section aria-labelledby="webhooks-heading" className="admin-section">
      <h2 id="webhooks-heading">Webhooks</h2>
      <p className="help">
        The service POSTs each event it hears to the URL, signed with the webhook’s secret (the <code>Qualify-Signature</code> header), and retries until the
        receiver answers 2xx.
      </p>
      {created && (
        <SecretOnce
          label={`Signing secret for ${created.url}`}
          secret={created.secret}
          hint="The receiver verifies each request's Qualify-Signature with it."
          onDone={() => setCreated(null)}
        />
      )}
      <CreateWebhookForm
        stages={stages}
        onCreated={(url, secret) => {
          setCreated({ url, secret });
          hooks.reload();
        }}
      />
      {hooks.error && (
        <p role="alert" className="error">
          Could not load the webhooks: {hooks.error}
        </p>
      )}
      {hooks.data ? (
        hooks.data.webhooks.length === 0 ? (
          <p>No webhooks yet.</p>
        ) : (
          <ul className="webhooks" aria-label="Webhooks">
            {hooks.data.webhooks.map((hook) => (
              <WebhookItem key={hook.id} hook={hook} onChanged={hooks.reload} />
            ))}
          </ul>
        )
      ) : (
        !hooks.error && <p aria-busy="true">Loading webhooks…</p>
      )}
    </section>
  );
}

function CreateWebhookForm({ stages, onCreated }: { stages: string[]; onCreated: (url: string, secret: string) => void }) {
  const [url, setUrl] = useState("");
  const [description, setDescription] = useState("");
  const [events, setEvents] = useState<Set<WebhookEvent>>(new Set(["LEAD_STAGE_CHANGED"]));
  const [chosenStages, setChosenStages] = useState<Set<string>>(new Set());
  const [error, setError] = useState<string | null>(null);
  const [busy, setBusy] = useState(false);

  async function submit(event: FormEvent) {
    event.preventDefault();
    if (!url.trim()) return setError("Give the URL the service should POST to.");
    if (events.size === 0) return setError("Choose at least one event.");
    setBusy(true);
    setError(null);
    try {
      const input = {
        url: url.trim(),
        description: description.trim() || null,
        events: [...events],
        stages: events.has("LEAD_STAGE_CHANGED") && chosenStages.size > 0 ? [...chosenStages] : null,
      };
      const { createWebhook } = await request(CREATE_WEBHOOK, { input });
      setUrl("");
      setDescription("");
      setEvents(new Set(["LEAD_STAGE_CHANGED"]));
      setChosenStages(new Set());
      onCreated(createWebhook.webhook.url, createWebhook.secret);
    } catch (err) {
      setError(describeError(err));
    } finally {
      setBusy(false);
    }
  }

  return (
    <form onSubmit={submit} aria-label="New webhook" className="admin-form">
      <div className="field">
        <label htmlFor="new-hook-url">URL</label>
        <input id="new-hook-url" type="url" inputMode="url" value={url} onChange={(e) => setUrl(e.target.value)} placeholder="https://example.com/qualify" />
      </div>
      <div className="field">
        <label htmlFor="new-hook-description">Description</label>
        <input id="new-hook-description" value={description} onChange={(e) => setDescription(e.target.value)} maxLength={500} />
      </div>
      <fieldset>
        <legend>Events</legend>
        {EVENTS.map(({ event, label }) => (
          <label key={event} className="check">
            <input
              type="checkbox"
              checked={events.has(event)}
              onChange={(e) => setEvents((current) => toggled(current, event, e.target.checked))}
            />{" "}
            {eventWords(event)} <span className="help">— {label}</span>
          </label>
        ))}
      </fieldset>
      {events.has("LEAD_STAGE_CHANGED") && stages.length > 0 && (
        <fieldset>
          <legend>Stages</legend>
          <p className="help">Only moves into these stages; none chosen: every stage.</p>
          {stages.map((stage) => (
            <label key={stage} className="check">
              <input type="checkbox" checked={chosenStages.has(stage)} onChange={(e) => setChosenStages((current) => toggled(current, stage, e.target.checked))} /> {stage}
            </label>
          ))}
        </fieldset>
      )}
      {error && (
        <p role="alert" className="error">
          {error}
        </p>
      )}
      <div>
        <button type="submit" disabled={busy}>
          {busy ? "Creating…" : "Create webhook"}
        </button>
      </div>
    </form>
  );
}

function toggled<T>(set: Set<T>, item: T, on: boolean): Set<T> {
  const next = new Set(set);
  if (on) next.add(item);
  else next.delete(item);
  return next;
}

function WebhookItem({ hook, onChanged }: { hook: Webhook; onChanged: () => void }) {
  const [error, setError] = useState<string | null>(null);
  const [busy, setBusy] = useState(false);
  const [showDeliveries, setShowDeliveries] = useState(false);
  // The switch shows what was asked at once; a refusal puts it back (and says why).
  const [asked, setAsked] = useState<boolean | null>(null);
  const panelId = `deliveries-${hook.id}`;
  useEffect(() => {
    if (asked === hook.active) setAsked(null);
  }, [asked, hook.active]);

  async function run(action: () => Promise<unknown>): Promise<boolean> {
    setBusy(true);
    setError(null);
    try {
      await action();
      onChanged();
      return true;
    } catch (err) {
      setError(describeError(err));
      return false;
    } finally {
      setBusy(false);
    }
  }

  const setActive = async (active: boolean) => {
    setAsked(active);
    if (!(await run(() =>
      request(UPDATE_WEBHOOK, {
        id: hook.id,
        input: { url: hook.url, description: hook.description ?? null, events: hook.events, stages: hook.stages ?? null, active },
      }),
    )))
      setAsked(null);
  };

  return (
    <li className="webhook" aria-label={hook.url}>
      <div className="webhook-head">
        <code className="webhook-url">{hook.url}</code>
        <label className="check">
          <input type="checkbox" checked={asked ?? hook.active} disabled={busy} onChange={(e) => void setActive(e.target.checked)} /> Active
        </label>
        <button type="button" className="secondary" aria-expanded={showDeliveries} aria-controls={panelId} onClick={() => setShowDeliveries((v) => !v)}>
          Deliveries
        </button>
        <ConfirmButton
          label="Delete"
          accessibleName={`Delete webhook ${hook.url}`}
          disabled={busy}
          question={`Delete ${hook.url}? Its deliveries go too, and pending ones are never sent.`}
          confirmLabel="Yes, delete"
          onConfirm={() => void run(() => request(DELETE_WEBHOOK, { id: hook.id }))}
        />
      </div>
      <p className="help">
        {hook.description && <>{hook.description} · </>}
        hears {hook.events.map(eventWords).join(", ")}
        {hook.stages?.length ? ` (stage changes into ${hook.stages.join(", ")})` : ""} · created {formatDate(hook.createdAt)}
      </p>
      {!hook.active && hook.deactivatedAt && (
        <p className="notice">
          Inactive since {formatDate(hook.deactivatedAt)}
          {hook.deactivatedReason ? `: ${hook.deactivatedReason}` : ""}. Events are not stored for it; switch it on to send what waited.
        </p>
      )}
      {error && (
        <p role="alert" className="error">
          {error}
        </p>
      )}
      {showDeliveries && <WebhookDeliveries id={panelId} webhookId={hook.id} url={hook.url} />}
    </li>
  );
}

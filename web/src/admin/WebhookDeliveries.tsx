/**
 * One webhook's deliveries, newest first, filtered by status, 20 at a time: when each was made,
 * how many attempts, the receiver's last answer; a delivered or failed one can be sent again.
 * Read through `node(id:)`: this webhook's deliveries only (a deleted webhook answers null).
 */
import { useState } from "react";
import { Link } from "react-router";
import { describeError, request } from "../api/client";
import { graphql } from "../gql";
import type { DeliveryStatus, WebhookDeliveriesQuery } from "../gql/graphql";
import { formatDate } from "./dates";
import { useLoad } from "./use-load";

const WEBHOOK_DELIVERIES = graphql(`
  query WebhookDeliveries($id: ID!, $status: DeliveryStatus, $first: Int, $after: String) {
    node(id: $id) {
      ... on Webhook {
        deliveries(status: $status, first: $first, after: $after) {
          totalCount
          pageInfo {
            hasNextPage
            endCursor
          }
          edges {
            node {
              id
              event
              eventId
              leadId
              status
              attempts
              lastStatusCode
              lastError
              createdAt
              deliveredAt
              nextAttemptAt
            }
          }
        }
      }
    }
  }
`);

const REDELIVER = graphql(`
  mutation RedeliverWebhookDelivery($id: ID!) {
    redeliverWebhookDelivery(id: $id) {
      id
      status
    }
  }
`);

type Deliveries = Extract<NonNullable<WebhookDeliveriesQuery["node"]>, { deliveries: unknown }>["deliveries"];
type Delivery = Deliveries["edges"][number]["node"];

const PAGE = 20;
const STATUSES: ReadonlyArray<{ value: DeliveryStatus | ""; label: string }> = [
  { value: "", label: "All" },
  { value: "PENDING", label: "Pending" },
  { value: "DELIVERED", label: "Delivered" },
  { value: "FAILED", label: "Failed" },
];

/** "lead created": an event as the table shows it. */
const eventName = (d: Delivery) => d.event.toLowerCase().replace(/_/g, " ");
/** "lead created of lead <id>": a delivery as its Redeliver button and its outcome name it. */
const describeDelivery = (d: Delivery) => `${eventName(d)} of lead ${d.leadId}`;

async function loadPage(webhookId: string, status: DeliveryStatus | "", after: string | null) {
  const data = await request(WEBHOOK_DELIVERIES, { id: webhookId, status: status || null, first: PAGE, after });
  if (!data.node || !("deliveries" in data.node)) throw new Error("This webhook no longer exists.");
  return data.node.deliveries;
}

export function WebhookDeliveries({ id, webhookId, url }: { id: string; webhookId: string; url: string }) {
  const [status, setStatus] = useState<DeliveryStatus | "">("");
  const [more, setMore] = useState<{ rows: Delivery[]; cursor: string | null; hasNext: boolean } | null>(null);
  const [moreError, setMoreError] = useState<string | null>(null);
  const first = useLoad(() => loadPage(webhookId, status, null), [webhookId, status]);
  const [rowMessage, setRowMessage] = useState<{ text: string; error: boolean } | null>(null);

  const rows = [...(first.data?.edges.map((e) => e.node) ?? []), ...(more?.rows ?? [])];
  const hasNext = more ? more.hasNext : Boolean(first.data?.pageInfo.hasNextPage);
  const cursor = more ? more.cursor : (first.data?.pageInfo.endCursor ?? null);

  function refresh() {
    setMore(null);
    setMoreError(null);
    first.reload();
  }

  async function loadMore() {
    setMoreError(null);
    try {
      const page = await loadPage(webhookId, status, cursor);
      setMore((m) => ({ rows: [...(m?.rows ?? []), ...page.edges.map((e) => e.node)], cursor: page.pageInfo.endCursor ?? null, hasNext: page.pageInfo.hasNextPage }));
    } catch (err) {
      setMoreError(describeError(err));
    }
  }

  async function redeliver(delivery: Delivery) {
    setRowMessage(null);
    try {
      const { redeliverWebhookDelivery } = await request(REDELIVER, { id: delivery.id });
      setRowMessage({ text: `Sent again: ${describeDelivery(delivery)}, now ${redeliverWebhookDelivery.status.toLowerCase()}.`, error: false });
      setMore(null);
      first.reload();
    } catch (err) {
      setRowMessage({ text: `${describeDelivery(delivery)} was not sent again: ${describeError(err)}`, error: true });
    }
  }

  return (
    <section id={id} className="deliveries" aria-label={`Deliveries of ${url}`}>
      <div className="toolbar">
        <label htmlFor={`${id}-status`}>Status</label>
        <select
          id={`${id}-status`}
          value={status}
          onChange={(e) => {
            setMore(null);
            setStatus(e.target.value as DeliveryStatus | "");
          }}
        >
          {STATUSES.map((s) => (
            <option key={s.value} value={s.value}>
              {s.label}
            </option>
          ))}
        </select>
        <button type="button" className="secondary" onClick={refresh}>
          Refresh
        </button>
        {first.data && (
          <span className="help" role="status">
            {first.data.totalCount} {first.data.totalCount === 1 ? "delivery" : "deliveries"}
          </span>
        )}
      </div>
      {/* Above the table, not in the row: a redelivered one leaves a list filtered by "Failed". */}
      {rowMessage && (
        <p role={rowMessage.error ? "alert" : "status"} className={rowMessage.error ? "error" : "help"}>
          {rowMessage.text}
        </p>
      )}
      {first.error && (
        <p role="alert" className="error">
          Could not load the deliveries: {first.error}
        </p>
      )}
      {first.loading && !first.data && <p aria-busy="true">Loading deliveries…</p>}
      {first.data && rows.length === 0 && <p>No deliveries{status ? ` with this status` : ""} yet.</p>}
      {rows.length > 0 && (
        <table aria-label={`Deliveries of ${url}`}>
          <thead>
            <tr>
              <th scope="col">Event</th>
              <th scope="col">Lead</th>
              <th scope="col">Status</th>
              <th scope="col" className="num">
                Attempts
              </th>
              <th scope="col">Last answer</th>
              <th scope="col">Created</th>
              <th scope="col">
                <span className="sr-only">Actions</span>
              </th>
            </tr>
          </thead>
          <tbody>
            {rows.map((d) => (
              <tr key={d.id}>
                <td>{eventName(d)}</td>
                <td>
                  <Link to={`/leads/${d.leadId}`}>lead {d.leadId}</Link>
                </td>
                <td>
                  <span className={`status status-${d.status.toLowerCase()}`}>{d.status.toLowerCase()}</span>
                  {d.status === "DELIVERED" && d.deliveredAt && <span className="help"> {formatDate(d.deliveredAt)}</span>}
                  {d.status === "PENDING" && d.nextAttemptAt && <span className="help"> next try {formatDate(d.nextAttemptAt)}</span>}
                </td>
                <td className="num">{d.attempts}</td>
                <td>{d.lastStatusCode != null ? `HTTP ${d.lastStatusCode}` : ""}{d.lastError ? `${d.lastStatusCode != null ? " · " : ""}${d.lastError}` : ""}</td>
                <td>
                  <time dateTime={d.createdAt}>{formatDate(d.createdAt)}</time>
                </td>
                <td>
                  {d.status !== "PENDING" && (
                    <button type="button" className="secondary" aria-label={`Redeliver ${describeDelivery(d)}`} onClick={() => void redeliver(d)}>
                      Redeliver
                    </button>
                  )}
                </td>
              </tr>
            ))}
          </tbody>
        </table>
      )}
      {moreError && (
        <p role="alert" className="error">
          {moreError}
        </p>
      )}
      {hasNext && (
        <button type="button" className="secondary" onClick={() => void loadMore()}>
          Load more deliveries
        </button>
      )}
    </section>
  );
}

/**
 * The event bus: how events (`events.ts`) published after a commit reach the subscribers.
 *
 * - `memory`: in-process fan-out (the embedded database is one process anyway);
 * - `postgres`: `NOTIFY qualify_events` on the database, and every instance LISTENs on its own
 *   connection and fans out locally, so a subscriber on any instance sees writes made on any other.
 *   NOTIFY is transactional and needs no extra infrastructure; payloads are small (ids and the
 *   transition, well under PostgreSQL's 8 kB limit).
 */
import { createPubSub } from "@graphql-yoga/subscription";
import { Client } from "pg";
import type { DatabaseTimeouts } from "../config";
import { connectionBounds } from "../database/timeouts";
import type { Logger } from "../logger";
import { errorFields } from "../logger";
import type { Events, Topic } from "./events";

export interface EventBus {
  /** Publishes to every subscriber on every instance. */
  publish<T extends Topic>(topic: T, event: Events[T][0]): Promise<void>;
  /** The local pub/sub the GraphQL schema subscribes to. */
  readonly local: ReturnType<typeof createPubSub<Events>>;
  close(): Promise<void>;
}

/** In-process only. */
export function createMemoryEventBus(): EventBus {
  const local = createPubSub<Events>();
  return {
    local,
    async publish(topic, event) {
      local.publish(topic, ...([event] as Events[typeof topic]));
    },
    async close() {},
  };
}

const CHANNEL = "qualify_events";
/** PostgreSQL's NOTIFY payload limit is 8000 bytes; stay under it. */
const MAX_PAYLOAD = 7000;

/**
 * Across instances through PostgreSQL LISTEN/NOTIFY on `url`. Its two connections carry the
 * service's bounds (`timeouts`): a NOTIFY that cannot be sent in time is logged as lost, like any
 * failed publish, rather than holding every later event.
 */
export async function createPostgresEventBus(url: string, logger: Logger, timeouts?: DatabaseTimeouts): Promise<EventBus> {
  const local = createPubSub<Events>();
  const options = { connectionString: url, application_name: "qualify-events", ...(timeouts ? connectionBounds(timeouts) : {}) };
  let closed = false;
  let listener: Client | null = null;
  let publisher: Client | null = null;

  const connectListener = async (): Promise<void> => {
    const client = new Client(options);
    client.on("notification", (message) => {
      if (message.channel !== CHANNEL || !message.payload) return;
      const { events } = JSON.parse(message.payload) as { events: Array<{ topic: Topic; event: Events[Topic][0] }> };
      for (const { topic, event } of events ?? []) local.publish(topic, event as never);
    });
    client.on("error", (err) => {
      logger.warn("event listener connection lost; reconnecting", errorFields(err));
      listener = null;
      if (!closed) setTimeout(() => void connectListener().catch(() => undefined), 1000);
    });
    await client.connect();
    await client.query(`LISTEN ${CHANNEL}`);
    listener = client;
  };
  await connectListener();

  const getPublisher = async (): Promise<Client> => {
    if (publisher) return publisher;
    const client = new Client(options);
    client.on("error", () => {
      publisher = null;
    });
    await client.connect();
    publisher = client;
    return client;
  };

  // One NOTIFY at a time on the publisher connection, in publish order; events that queue up
  // meanwhile (a busy ingest) travel together, as many as fit in one payload.
  const pending: string[] = [];
  let sending: Promise<void> = Promise.resolve();
  // Everything queued goes in one statement (one transaction on the server): as many NOTIFYs as
  // payloads of at most MAX_PAYLOAD bytes, delivered in order. A payload's `n` keeps two payloads
  // of one statement distinct (PostgreSQL folds identical ones).
  let sequence = 0;
  const flush = async (): Promise<void> => {
    while (pending.length > 0) {
      const events = pending.splice(0);
      const payloads: string[] = [];
      for (let start = 0; start < events.length; ) {
        let size = 0;
        let end = start;
        while (end < events.length && (end === start || size + events[end].length < MAX_PAYLOAD)) size += events[end++].length + 1;
        payloads.push(`{"n":${sequence++ % 1_000_000},"events":[${events.slice(start, end).join(",")}]}`);
        start = end;
      }
      try {
        const client = await getPublisher();
        // Several payloads travel as one JSON array of them (each is JSON already): a json
        // element's text is its text as sent, so nothing is escaped on the way.
        await client.query(
          payloads.length === 1
            ? "SELECT pg_notify($1, $2)"
            : "SELECT pg_notify($1, p::text) FROM json_array_elements($2::json) WITH ORDINALITY AS t (p, n) ORDER BY n",
          [CHANNEL, payloads.length === 1 ? payloads[0] : `[${payloads.join(",")}]`],
        );
      } catch (err) {
        // The write is committed; a lost event is logged, never turned into a failed request.
        logger.error("could not publish events", { events: events.length, ...errorFields(err) });
      }
    }
  };
  return {
    local,
    publish(topic, event) {
      const idle = pending.length === 0;
      pending.push(JSON.stringify({ topic, event }));
      if (idle) sending = sending.then(flush);
      return sending;
    },
    async close() {
      closed = true;
      await sending;
      await listener?.end().catch(() => undefined);
      await publisher?.end().catch(() => undefined);
    },
  };
}

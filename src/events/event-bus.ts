/**
 * The event bus: how events (`events.ts`) published after a commit reach the subscribers.
 *
 * - `memory`: in-process fan-out (the embedded database is one process anyway);
 * - `postgres`: `NOTIFY qualify_events` on the database, and every instance LISTENs on its own
 *   connection and fans out locally, so a subscriber on any instance sees writes made on any other.
 *   NOTIFY is transactional and needs no extra infrastructure; payloads are small (ids and the
 *   transition, well under PostgreSQL's 8 kB limit).
 *
 * Closing loses no event published before it (a shutdown closes the bus once no request is left):
 * every one is delivered to this process's subscribers, and with `postgres` NOTIFYed to the
 * other instances, before the local streams end and the connections close.
 */
import { randomUUID } from "node:crypto";
import { Client } from "pg";
import type { DatabaseTimeouts } from "../config";
import { connectionBounds } from "../database/timeouts";
import type { Logger } from "../logger";
import { errorFields } from "../logger";
import type { Events, Topic } from "./events";
import { createLocalPubSub, type LocalPubSub } from "./local-pub-sub";

export interface EventBus {
  /** Publishes to every subscriber on every instance. */
  publish<T extends Topic>(topic: T, event: Events[T][0]): Promise<void>;
  /** The local pub/sub the GraphQL schema subscribes to. */
  readonly local: LocalPubSub;
  /**
   * Delivers every event published so far (to this process's subscribers and, through NOTIFY, to
   * the other instances), then ends the local streams (each yields what it holds, then finishes)
   * and closes the bus's connections. An event published later is dropped (logged).
   */
  close(): Promise<void>;
}

/** An event published once the bus is closed: only a request cut off by the shutdown timeout makes one. */
function dropped(logger: Logger, topic: Topic): void {
  logger.warn("event published after the event bus closed: not delivered", { topic });
}

/** In-process only. */
export function createMemoryEventBus(logger: Logger): EventBus {
  const local = createLocalPubSub();
  let closed = false;
  return {
    local,
    async publish(topic, event) {
      if (closed) return dropped(logger, topic);
      local.publish(topic, ...([event] as Events[typeof topic]));
    },
    async close() {
      closed = true;
      local.end();
    },
  };
}

const CHANNEL = "qualify_events";
/** PostgreSQL's NOTIFY payload limit is 8000 bytes; stay under it. */
const MAX_PAYLOAD = 7000;
/** How long `close` waits for its own last NOTIFY to come back through LISTEN. */
const ROUND_TRIP_WAIT_MS = 5000;

/**
 * Across instances through PostgreSQL LISTEN/NOTIFY on `url`. Its two connections carry the
 * service's bounds (`timeouts`): a NOTIFY that cannot be sent in time is logged as lost, like any
 * failed publish, rather than holding every later event.
 */
export async function createPostgresEventBus(url: string, logger: Logger, timeouts?: DatabaseTimeouts): Promise<EventBus> {
  const local = createLocalPubSub();
  const options = { connectionString: url, application_name: "qualify-events", ...(timeouts ? connectionBounds(timeouts) : {}) };
  let closed = false;
  let listener: Client | null = null;
  let publisher: Client | null = null;
  /** `close` waits for the NOTIFY carrying this mark to come back (every instance ignores it). */
  const roundTrips = new Map<string, () => void>();

  const connectListener = async (): Promise<void> => {
    const client = new Client(options);
    client.on("notification", (message) => {
      if (message.channel !== CHANNEL || !message.payload) return;
      const { events, mark } = JSON.parse(message.payload) as { events: Array<{ topic: Topic; event: Events[Topic][0] }>; mark?: string };
      for (const { topic, event } of events ?? []) local.publish(topic, event as never);
      if (mark) roundTrips.get(mark)?.();
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
  /** Every NOTIFY of the events published so far has been sent (or its failure logged). */
  const sent = async (): Promise<void> => {
    for (let current = sending; ; current = sending) {
      await current;
      if (current === sending && pending.length === 0) return;
    }
  };
  /**
   * This instance's subscribers have every event NOTIFYed so far: notifications from one session
   * arrive in the order sent, so once a mark sent after them comes back through LISTEN, they have
   * all been handed to the local streams.
   */
  const receivedBack = async (): Promise<void> => {
    if (!listener) return logger.warn("event listener not connected: events NOTIFYed last may not reach this instance's subscriptions");
    const mark = randomUUID();
    const back = new Promise<boolean>((resolve) => {
      const timer = setTimeout(() => resolve(false), ROUND_TRIP_WAIT_MS);
      roundTrips.set(mark, () => {
        clearTimeout(timer);
        resolve(true);
      });
    });
    try {
      await (await getPublisher()).query("SELECT pg_notify($1, $2)", [CHANNEL, JSON.stringify({ n: sequence++ % 1_000_000, events: [], mark })]);
      if (!(await back)) logger.warn("events NOTIFYed last did not come back within 5 s: this instance's subscriptions may miss them");
    } catch (err) {
      logger.warn("could not check that this instance's subscriptions got the last events", errorFields(err));
    } finally {
      roundTrips.delete(mark);
    }
  };
  return {
    local,
    publish(topic, event) {
      if (closed) return Promise.resolve(dropped(logger, topic));
      const idle = pending.length === 0;
      pending.push(JSON.stringify({ topic, event }));
      if (idle) sending = sending.then(flush);
      return sending;
    },
    async close() {
      closed = true;
      await sent();
      await receivedBack();
      local.end();
      await listener?.end().catch(() => undefined);
      await publisher?.end().catch(() => undefined);
    },
  };
}

/**
 * Closing the event bus loses no event published before it (a shutdown closes it once the last
 * request is answered): on PostgreSQL every event is NOTIFYed to the other instances, and comes back
 * through LISTEN to this instance's subscriptions, before their streams end; in-process
 * (embedded database) the streams simply end after what they hold. An event published later is
 * dropped with a warning.
 */
import { LEAD_SCORED, type LeadScoredEvent } from "../../src/events/events";
import { createMemoryEventBus, createPostgresEventBus, type EventBus } from "../../src/events/event-bus";
import { createLogger } from "../../src/logger";
import { provision, type ProvisionedDatabase, testDatabase } from "./helpers/test-app";

/** Rounds of publish-then-close, with this many events each (without the round trip on close, about half of them lost events). */
const ROUNDS = [1, 50, 100, 150, 200, 1, 50, 100, 150, 200];
const logged: string[] = [];
const logger = createLogger("warn", { write: (line) => logged.push(line) });

const event = (n: number): LeadScoredEvent => ({ leadId: `lead-${n}`, interactionId: null, pointsAwarded: n, score: n });

/** The points of every event `bus` hands its local subscribers until their stream ends (subscribed now). */
function received(bus: EventBus): Promise<number[]> {
  const stream = bus.local.subscribe(LEAD_SCORED)[Symbol.asyncIterator]();
  const points: number[] = [];
  const next = (): Promise<number[]> =>
    stream.next().then((r) => {
      if (r.done) return points;
      points.push(r.value.pointsAwarded);
      return next();
    });
  return next();
}

describe(`event bus close (${testDatabase() === "postgres" ? "LISTEN/NOTIFY" : "in-process"})`, () => {
  let database: ProvisionedDatabase | null = null;
  const open = async (): Promise<EventBus> => {
    if (testDatabase() !== "postgres") return createMemoryEventBus(logger);
    database ??= await provision("postgres");
    return createPostgresEventBus(database.url, logger);
  };
  afterAll(() => database?.drop());

  it("delivers every event published before it, here and to the other instances, then ends the streams", async () => {
    const other = testDatabase() === "postgres" ? await open() : null;
    const there = other ? received(other) : null;
    const sent: number[] = [];
    for (const count of ROUNDS) {
      const bus = await open();
      const here = received(bus);
      // Published the way requests do (not awaited), the last one just before the close.
      const points = Array.from({ length: count }, (_, i) => sent.length + i + 1);
      for (const n of points) void bus.publish(LEAD_SCORED, event(n));
      sent.push(...points);
      await bus.close();
      expect(await here).toEqual(points);
    }
    if (other && there) {
      await other.close();
      expect(await there).toEqual(sent);
    }
    expect(logged).toEqual([]);
  });

  it("drops an event published after it, with a warning", async () => {
    const bus = await open();
    await bus.close();
    await bus.publish(LEAD_SCORED, event(1));
    expect(logged.map((line) => JSON.parse(line) as { level: string; message: string; topic: string })).toEqual([
      expect.objectContaining({ level: "warn", message: "event published after the event bus closed: not delivered", topic: LEAD_SCORED }),
    ]);
  });
});

/**
 * The pub/sub of this process's subscriptions (src/events/local-pub-sub.ts): ending it loses no
 * event already published, and a subscription that falls behind fails alone.
 */
import { LEAD_SCORED, type LeadScoredEvent } from "../../src/events/events";
import { createLocalPubSub } from "../../src/events/local-pub-sub";

const event = (n: number): LeadScoredEvent => ({ leadId: `lead-${n}`, interactionId: null, pointsAwarded: n, score: n });

/** Everything `stream` yields until it finishes, or the error it fails with. */
async function drain(stream: AsyncIterable<LeadScoredEvent>): Promise<{ points: number[]; error?: string }> {
  const points: number[] = [];
  try {
    for await (const e of stream) points.push(e.pointsAwarded);
  } catch (err) {
    return { points, error: (err as Error).name };
  }
  return { points };
}

describe("LocalPubSub", () => {
  it("ends each stream after the events published before the end, however far behind its reader is", async () => {
    const pubsub = createLocalPubSub();
    const read = pubsub.subscribe(LEAD_SCORED)[Symbol.asyncIterator]();
    const first = read.next(); // subscribed from here on
    for (let n = 1; n <= 500; n++) pubsub.publish(LEAD_SCORED, event(n));
    pubsub.end();
    pubsub.publish(LEAD_SCORED, event(501));
    expect((await first).value).toMatchObject({ pointsAwarded: 1 });
    const rest = await drain({ [Symbol.asyncIterator]: () => read });
    expect(rest).toEqual({ points: Array.from({ length: 499 }, (_, i) => i + 2) });
  });

  it("ends a subscription made after the end at once", async () => {
    const pubsub = createLocalPubSub();
    pubsub.end();
    expect(await drain(pubsub.subscribe(LEAD_SCORED))).toEqual({ points: [] });
  });

  it("fails a subscription 1,024 events behind, not the publisher nor the other subscriptions", async () => {
    const pubsub = createLocalPubSub();
    const slow = pubsub.subscribe(LEAD_SCORED)[Symbol.asyncIterator]();
    const slowFirst = slow.next();
    const keeping = drain(pubsub.subscribe(LEAD_SCORED));
    await new Promise((r) => setImmediate(r));
    for (let n = 1; n <= 1100; n++) {
      pubsub.publish(LEAD_SCORED, event(n));
      if (n % 100 === 0) await new Promise((r) => setImmediate(r)); // the keeping reader keeps up
    }
    pubsub.end();
    expect((await keeping).points).toHaveLength(1100);
    expect((await slowFirst).value).toMatchObject({ pointsAwarded: 1 });
    const slowRest = await drain({ [Symbol.asyncIterator]: () => slow });
    expect(slowRest.error).toBe("RepeaterOverflowError");
    expect(slowRest.points.length).toBeLessThan(1100);
  });
});

/**
 * This process's subscribers: the pub/sub the GraphQL schema subscribes to (type-graphql's `PubSub`
 * shape), which the event bus feeds. Unlike `createPubSub` of @graphql-yoga/subscription it can be
 * ended, and ending loses nothing: each stream still yields every event published before the end,
 * then finishes. That is how a shutdown lets every subscription deliver what it was sent before
 * its connection closes (`app/subscriptions.ts`).
 */
import { Repeater } from "@graphql-yoga/subscription";
import type { Events, Topic } from "./events";

export interface LocalPubSub {
  /** Hands `event` to every stream subscribed to `topic` (none once ended). */
  publish<T extends Topic>(topic: T, ...args: Events[T]): void;
  /** A stream of the events of `topic` published from now on, until `end`. */
  subscribe<T extends Topic>(topic: T): AsyncIterable<Events[T][0]>;
  /** Ends every stream after the events already published to it; later subscriptions end at once. */
  end(): void;
}

export function createLocalPubSub(): LocalPubSub {
  const subscribers = new Map<Topic, Set<(event: unknown) => void>>();
  const stops = new Set<() => void>();
  let ended = false;
  return {
    publish(topic, ...[event]) {
      for (const deliver of subscribers.get(topic) ?? []) deliver(event);
    },
    subscribe<T extends Topic>(topic: T) {
      // Unbuffered, as createPubSub: events wait in the repeater until the subscription takes them,
      // and a repeater's stop lets it yield what it holds first.
      return new Repeater<Events[T][0]>((push, stop) => {
        if (ended) return stop();
        const deliver = (event: unknown) => {
          // A subscription more than 1,024 events behind (the repeater's bound) fails alone,
          // rather than the publisher.
          try {
            void push(event as Events[T][0]);
          } catch (err) {
            stop(err);
          }
        };
        const forTopic = subscribers.get(topic) ?? new Set();
        subscribers.set(topic, forTopic.add(deliver));
        stops.add(stop);
        void stop.then(() => {
          forTopic.delete(deliver);
          stops.delete(stop);
        });
      });
    },
    end() {
      ended = true;
      subscribers.clear();
      for (const stop of [...stops]) stop();
    },
  };
}

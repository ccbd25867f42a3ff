/**
 * In the top bar, for keys that may read: whether live updates are flowing ("Live", or
 * "Reconnecting…" while the service is away), and the latest stage move any lead made, as it
 * happens. Its subscription also keeps the one live connection open, so a page that subscribes
 * finds it ready.
 */
import { useEffect, useState } from "react";
import { type LiveState, onLiveState, useSubscription } from "../api/live";
import { graphql } from "../gql";
import type { LiveStageMovesSubscription } from "../gql/graphql";

const LIVE_STAGE_MOVES = graphql(`
  subscription LiveStageMoves {
    leadStageChanged {
      leadId
      lead {
        email
      }
      transition {
        from
        to
      }
    }
  }
`);

const WORDS: Record<LiveState, string> = {
  idle: "Live updates off",
  connecting: "Connecting…",
  connected: "Live",
  reconnecting: "Reconnecting…",
};

export function LiveStatus({ apiKey }: { apiKey: string }) {
  const [state, setState] = useState<LiveState>("idle");
  const [latest, setLatest] = useState<LiveStageMovesSubscription["leadStageChanged"] | null>(null);
  useEffect(() => onLiveState(setState), []);
  useSubscription(apiKey, LIVE_STAGE_MOVES, {}, (data) => setLatest(data.leadStageChanged));
  return (
    <span className={`live live-${state}`}>
      <span role="status" aria-label="Live updates">
        {WORDS[state]}
      </span>
      {latest && (
        <span className="live-latest" title="The latest stage move">
          {" "}
          · {latest.lead.email}: {latest.transition.from ?? "new"} → {latest.transition.to}
        </span>
      )}
    </span>
  );
}

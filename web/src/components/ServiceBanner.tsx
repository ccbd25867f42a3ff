/**
 * One line at the top when the service is not answering or the key is over its budget, in words,
 * cleared by the next good answer. Requests and the live connection both report here.
 */
import { useEffect, useState } from "react";
import { onServiceEvent } from "../api/client";

type BannerState = { kind: "ok" } | { kind: "down"; message: string } | { kind: "limited"; until: number };

export function ServiceBanner() {
  const [state, setState] = useState<BannerState>({ kind: "ok" });
  const [, tick] = useState(0);
  useEffect(
    () =>
      onServiceEvent((event) => {
        if (event.kind === "unreachable") setState({ kind: "down", message: event.message });
        else if (event.kind === "reachable") setState((s) => (s.kind === "limited" && s.until > Date.now() ? s : { kind: "ok" }));
        else if (event.kind === "rate-limited") setState({ kind: "limited", until: Date.now() + event.retryAfter * 1000 });
      }),
    [],
  );
  // While the service is down, its liveness is asked every 2 s, so the banner clears by itself.
  useEffect(() => {
    if (state.kind !== "down") return;
    const timer = setInterval(() => {
      fetch("/health/live", { cache: "no-store" })
        .then((res) => {
          if (res.ok) setState({ kind: "ok" });
        })
        .catch(() => undefined);
    }, 2000);
    return () => clearInterval(timer);
  }, [state]);
  useEffect(() => {
    if (state.kind !== "limited") return;
    const timer = setInterval(() => {
      if (state.until <= Date.now()) setState({ kind: "ok" });
      else tick((n) => n + 1);
    }, 1000);
    return () => clearInterval(timer);
  }, [state]);
  if (state.kind === "ok") return null;
  const text =
    state.kind === "down"
      ? `${state.message} Reconnecting when it is back; nothing you typed is lost.`
      : `Too many requests for this key: retry in ${Math.max(1, Math.ceil((state.until - Date.now()) / 1000))} s.`;
  return (
    <div role="alert" className={`banner banner-${state.kind}`}>
      {text}
    </div>
  );
}

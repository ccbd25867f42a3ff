/**
 * One attempt of a delivery: a POST of the payload, signed, to the webhook's URL. No redirect is
 * followed (a 3xx is an answer like any other non-2xx), the whole exchange is bounded
 * (`TIMEOUT_MS`), and the connection goes only to an address `destination.ts` allows.
 *
 * The signature: `Qualify-Signature: v1=<hex HMAC-SHA256(secret, timestamp + "." + body)>`, with
 * `timestamp` the `Qualify-Timestamp` header (Unix seconds) and `body` the exact bytes sent.
 */
import { createHmac } from "node:crypto";
import http from "node:http";
import https from "node:https";
import { checkHost, guardedLookup } from "./destination";

/** The longest an attempt may take, connection to the end of the answer. */
export const TIMEOUT_MS = 10_000;

/** The `Qualify-Signature` of `body` sent at `timestamp` (Unix seconds, as sent). */
export function signature(secret: string, timestamp: string, body: string): string {
  return `v1=${createHmac("sha256", secret).update(`${timestamp}.${body}`).digest("hex")}`;
}

export interface Attempt {
  url: string;
  secret: string;
  eventId: string;
  body: string;
}

/** An answer (any status), or why there was none. */
export type AttemptResult = { statusCode: number } | { error: string };

export class WebhookSender {
  private readonly agents: { http: http.Agent; https: https.Agent };

  constructor(private readonly allowPrivate: boolean) {
    const lookup = guardedLookup(allowPrivate);
    this.agents = {
      http: new http.Agent({ keepAlive: true, lookup, maxSockets: 64 }),
      https: new https.Agent({ keepAlive: true, lookup, maxSockets: 64 }),
    };
  }

  /** Sends one attempt; never throws. */
  send(attempt: Attempt): Promise<AttemptResult> {
    return new Promise((resolve) => {
      let url: URL;
      try {
        url = new URL(attempt.url);
        checkHost(url, this.allowPrivate);
      } catch (err) {
        return resolve({ error: String((err as Error).message) });
      }
      const timestamp = String(Math.floor(Date.now() / 1000));
      const secure = url.protocol === "https:";
      const request = (secure ? https : http).request(url, {
        method: "POST",
        agent: secure ? this.agents.https : this.agents.http,
        headers: {
          "Content-Type": "application/json",
          "Content-Length": Buffer.byteLength(attempt.body),
          "User-Agent": "Qualify-Webhooks/1",
          "Qualify-Event-Id": attempt.eventId,
          "Qualify-Timestamp": timestamp,
          "Qualify-Signature": signature(attempt.secret, timestamp, attempt.body),
        },
      });
      let settled = false;
      const settle = (result: AttemptResult) => {
        if (settled) return;
        settled = true;
        clearTimeout(timer);
        resolve(result);
      };
      const timer = setTimeout(() => {
        settle({ error: `no answer within ${TIMEOUT_MS / 1000} s` });
        request.destroy();
      }, TIMEOUT_MS);
      request.on("response", (response) => {
        // The body is read (and dropped) so that the connection can be reused.
        response.resume();
        response.on("end", () => settle({ statusCode: response.statusCode ?? 0 }));
        response.on("error", (err) => settle({ error: err.message }));
      });
      request.on("error", (err) => settle({ error: err.message || String(err) }));
      request.end(attempt.body);
    });
  }

  close(): void {
    this.agents.http.destroy();
    this.agents.https.destroy();
  }
}

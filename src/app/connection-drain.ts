/**
 * The HTTP connections of the server, and how a shutdown ends them without cutting a request off.
 *
 * `drain` stops accepting connections (a client connecting from then on is refused at connect:
 * ECONNREFUSED, which every client and load balancer retries elsewhere), then ends each open
 * connection only between requests: a request in progress gets its whole answer with
 * `Connection: close`, and so does one arriving on a kept-alive connection meanwhile; a connection
 * with no request in progress is closed once it has been idle for a second. So a client never
 * sees its request reset, with one exception no server can rule out: a client that sends on a
 * connection it left idle for a second or more, in the instant the server closes it (HTTP/1.1's
 * known race; clients retry such a request on a new connection).
 *
 * Connections upgraded to WebSocket (graphql-ws) leave this count: `subscriptions.ts` closes them.
 */
import type http from "node:http";
import net from "node:net";
import { beforeDeadline } from "./deadline";

/** During the drain, a connection with no request in progress for this long is closed. */
const IDLE_CLOSE_MS = 1000;

interface Connection {
  readonly socket: net.Socket;
  /** Requests received and not answered yet (more than one when a client pipelines). */
  readonly inFlight: Set<http.ServerResponse>;
  /** When its last answer ended (or it was accepted). */
  idleSince: number;
  timer: NodeJS.Timeout | undefined;
}

export class ConnectionDrain {
  private readonly connections = new Map<net.Socket, Connection>();
  private draining = false;
  private emptied: (() => void) | null = null;

  /** Call before any other `request` listener is added to `server`: the drain may set a header first. */
  constructor(private readonly server: http.Server) {
    server.on("connection", (socket: net.Socket) => this.opened(socket));
    server.on("request", (req: http.IncomingMessage, res: http.ServerResponse) => this.received(req, res));
    server.on("upgrade", (req: http.IncomingMessage) => this.forget(req.socket));
  }

  /**
   * Stops accepting connections and ends the open ones between requests; resolves once all are
   * closed, or when `deadline` aborts, destroying those left (their requests get no answer).
   * Resolves with how many were cut off.
   */
  async drain(deadline: AbortSignal): Promise<number> {
    this.draining = true;
    // net.Server's close, not http.Server's: http's also destroys at once every connection without a
    // request in progress, among them connections accepted a moment ago whose first request is on
    // its way, and kept-alive ones whose next request is: their clients would get ECONNRESET.
    net.Server.prototype.close.call(this.server);
    for (const connection of this.connections.values()) {
      for (const res of connection.inFlight) if (!res.headersSent) res.setHeader("connection", "close");
      this.closeWhenIdle(connection);
    }
    if (this.connections.size > 0) await beforeDeadline(new Promise<void>((resolve) => (this.emptied = resolve)), deadline);
    const cutOff = [...this.connections.values()];
    for (const { socket } of cutOff) socket.destroy();
    return cutOff.length;
  }

  private opened(socket: net.Socket): void {
    const connection: Connection = { socket, inFlight: new Set(), idleSince: Date.now(), timer: undefined };
    this.connections.set(socket, connection);
    socket.once("close", () => this.forget(socket));
    if (this.draining) this.closeWhenIdle(connection);
  }

  private received(req: http.IncomingMessage, res: http.ServerResponse): void {
    const connection = this.connections.get(req.socket);
    if (!connection) return;
    clearTimeout(connection.timer);
    connection.inFlight.add(res);
    // Node closes the connection once this answer is sent, and the client knows not to reuse it.
    if (this.draining) res.setHeader("connection", "close");
    res.once("close", () => {
      connection.inFlight.delete(res);
      connection.idleSince = Date.now();
      if (this.draining) this.closeWhenIdle(connection);
    });
  }

  private forget(socket: net.Socket): void {
    const connection = this.connections.get(socket);
    if (!connection) return;
    clearTimeout(connection.timer);
    this.connections.delete(socket);
    if (this.draining && this.connections.size === 0) this.emptied?.();
  }

  private closeWhenIdle(connection: Connection): void {
    clearTimeout(connection.timer);
    if (connection.inFlight.size > 0) return;
    const wait = IDLE_CLOSE_MS - (Date.now() - connection.idleSince);
    if (wait <= 0) connection.socket.destroy();
    else connection.timer = setTimeout(() => this.closeWhenIdle(connection), wait);
  }
}

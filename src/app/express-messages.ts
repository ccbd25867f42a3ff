/**
 * The request and response classes of an HTTP server that hands its requests to an express app:
 * Node's own, made with the app's prototypes (`app.request`, `app.response`), so that each request
 * is born an express request rather than made one.
 *
 * Why: express 5 gives every request and response the app's prototypes as it receives them
 * (`Object.setPrototypeOf` in `app.handle`). On Node 20 that change of prototype, on those two
 * objects, kept whatever a request left behind alive through young-generation collections: all of
 * it was promoted to the old generation and freed only by a full collection (a bare express app
 * answering `{}` promoted a quarter of what it allocated, the same handler on Node's `http` alone
 * nothing; measured, `docs/architecture.md`, "Memory"). Born with the right prototypes, express's
 * `setPrototypeOf` finds them already set and changes nothing.
 */
import http from "node:http";
import type net from "node:net";
import type express from "express";

/** Whether Node's `constructor` is a plain function (it is in Node 20 and 24), which a function can call on its own `this`. */
const plainFunction = (constructor: unknown): boolean => !/^class\b/.test(Function.prototype.toString.call(constructor));

/** Options for `http.createServer` whose requests and responses have `app`'s prototypes. */
export function expressMessages(app: express.Express): Pick<http.ServerOptions, "IncomingMessage" | "ServerResponse"> {
  // Functions, not classes: `prototype` must be the app's own objects, which a class cannot take.
  // Node's constructor runs on the object `new` made (`Reflect.construct` made objects that were
  // still promoted, a third as much: measured); a class, should Node make them classes, only so.
  const initRequest = http.IncomingMessage as unknown as (this: unknown, socket: net.Socket) => void;
  const initResponse = http.ServerResponse as unknown as (this: unknown, req: http.IncomingMessage, options?: unknown) => void;
  const plain = plainFunction(initRequest) && plainFunction(initResponse);
  function ExpressRequest(this: http.IncomingMessage, socket: net.Socket): http.IncomingMessage {
    if (!plain) return Reflect.construct(http.IncomingMessage, [socket], ExpressRequest) as http.IncomingMessage;
    initRequest.call(this, socket);
    return this;
  }
  ExpressRequest.prototype = app.request;
  function ExpressResponse(this: http.ServerResponse, req: http.IncomingMessage, options?: unknown): http.ServerResponse {
    if (!plain) return Reflect.construct(http.ServerResponse, [req, options], ExpressResponse) as http.ServerResponse;
    initResponse.call(this, req, options);
    return this;
  }
  ExpressResponse.prototype = app.response;
  return {
    IncomingMessage: ExpressRequest as unknown as typeof http.IncomingMessage,
    ServerResponse: ExpressResponse as unknown as typeof http.ServerResponse,
  };
}

/**
 * `expressMessages` (src/app/express-messages.ts): a server made with it hands express requests
 * and responses that already have the app's prototypes when they are born (so express's own
 * `setPrototypeOf` changes nothing), and they work as Node's and express's do: the body read, the
 * express helpers answering, the response's status and headers. Over real HTTP.
 */
import http from "node:http";
import type { AddressInfo } from "node:net";
import express from "express";
import { expressMessages } from "../../src/app/express-messages";

describe("expressMessages", () => {
  let server: http.Server;
  let url: string;
  const seen: Array<{ request: boolean; response: boolean; isNodeRequest: boolean; isNodeResponse: boolean }> = [];

  beforeAll(async () => {
    const app = express();
    app.use(express.json());
    app.post("/echo", (req, res) => res.status(201).set("x-echo", "yes").json({ got: req.body, path: req.path }));
    server = http.createServer(expressMessages(app));
    // Before the app: what the requests are when Node hands them over.
    server.on("request", (req, res) =>
      seen.push({
        request: Object.getPrototypeOf(req) === app.request,
        response: Object.getPrototypeOf(res) === app.response,
        isNodeRequest: req instanceof http.IncomingMessage,
        isNodeResponse: res instanceof http.ServerResponse,
      }),
    );
    server.on("request", app);
    await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
    url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  });

  afterAll(() => new Promise<void>((resolve) => server.close(() => resolve())));

  it("hands over requests and responses born with the app's prototypes, still Node's", async () => {
    seen.length = 0;
    const res = await fetch(`${url}/echo`, { method: "POST", headers: { "content-type": "application/json" }, body: JSON.stringify({ a: [1, 2] }) });
    await res.text();
    expect(seen).toEqual([{ request: true, response: true, isNodeRequest: true, isNodeResponse: true }]);
  });

  it("serves them as express does: the body parsed, the helpers' status, headers and JSON", async () => {
    const res = await fetch(`${url}/echo?x=1`, { method: "POST", headers: { "content-type": "application/json" }, body: JSON.stringify({ a: [1, 2] }) });
    expect(res.status).toBe(201);
    expect(res.headers.get("x-echo")).toBe("yes");
    expect(res.headers.get("content-type")).toMatch(/^application\/json/);
    expect(await res.json()).toEqual({ got: { a: [1, 2] }, path: "/echo" });
    const missing = await fetch(`${url}/nowhere`);
    expect(missing.status).toBe(404);
  });
});

/**
 * What a browser finds, over real HTTP: the workbench at `/` (the built single-page app: its
 * headers, precompressed assets, links into it answered with the page, nothing else of the disk),
 * the about page at `/about` (self-contained, with the endpoint, authentication, health, metrics
 * and the docs it serves as text), `GET /graphql` sending browsers there instead of Apollo's CDN
 * landing page, and GraphiQL served offline from the npm packages when QUALIFY_GRAPHIQL is on
 * (404 otherwise).
 */
import http from "node:http";
import { brotliDecompressSync, gunzipSync } from "node:zlib";
import { ensureWebBuilt } from "../e2e/helpers/browser";
import { testDatabase, useTestApp } from "./helpers/test-app";

/** What a browser sends when a page is opened. */
const BROWSER = { accept: "text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8" };

const get = (url: string, headers: Record<string, string> = {}) => fetch(url, { headers, redirect: "manual" });

/** Every absolute http(s) or ws(s) URL, or protocol-relative one, in `text`. */
const absoluteUrls = (text: string): string[] => text.match(/(?:(?:https?|wss?):)?\/\/[^\s"'<>)]+/gi) ?? [];

describe(`the about page and the docs [${testDatabase()}]`, () => {
  const s = useTestApp();
  const origin = () => new URL(s.t.app.url).origin;

  it("GET /about is a self-contained page: what the service is, the workbench, the endpoint, authentication, health, metrics, the docs", async () => {
    const res = await get(`${origin()}/about`, BROWSER);
    expect(res.status).toBe(200);
    expect(res.headers.get("content-type")).toBe("text/html; charset=utf-8");
    expect(res.headers.get("content-security-policy")).toMatch(/default-src 'none'/);
    const html = await res.text();
    expect(html).toContain("lead qualification");
    expect(html).toMatch(/The workbench[^<]*<a href="\/">open it<\/a>/);
    expect(html).toContain(`POST ${s.t.app.url}`);
    expect(html).toContain("Authorization: Bearer &lt;key&gt;");
    for (const href of ["/health/live", "/health/ready", "/metrics", "/docs/README.md", "/docs/architecture.md", "/docs/language.md", "/docs/schema.graphql"]) {
      expect(html).toContain(`href="${href}"`);
    }
    expect(html).toContain("QUALIFY_GRAPHIQL=on");
    expect(html).not.toMatch(/<script|<link|<img|@import/i);
    // The only absolute URLs are the service's own (http and ws).
    for (const url of absoluteUrls(html)) expect(url.replace(/^ws/, "http")).toMatch(new RegExp(`^${origin()}`));
  });

  it("serves each document it links as plain text, and nothing else of the disk", async () => {
    const html = await (await get(`${origin()}/about`)).text();
    const docs = [...html.matchAll(/href="(\/docs\/[^"]+)"/g)].map((m) => m[1]);
    expect(docs.length).toBeGreaterThanOrEqual(6);
    for (const path of docs) {
      const res = await get(`${origin()}${path}`);
      expect(res.status).toBe(200);
      expect(res.headers.get("content-type")).toBe("text/plain; charset=utf-8");
      expect(res.headers.get("x-content-type-options")).toBe("nosniff");
      expect((await res.text()).length).toBeGreaterThan(100);
    }
    expect(await (await get(`${origin()}/docs/README.md`)).text()).toMatch(/^# Qualify\n/);
    for (const path of ["/docs/package.json", "/docs/..%2Fpackage.json", "/docs/%2E%2E%2Fsrc%2Fconfig.ts", "/docs/.env", "/docs/"]) {
      expect((await get(`${origin()}${path}`)).status).toBe(404);
    }
  });

  it("GET /graphql from a browser is sent to the about page, not to Apollo's landing page; JSON clients still reach Apollo", async () => {
    const res = await get(s.t.app.url, BROWSER);
    expect(res.status).toBe(302);
    expect(res.headers.get("location")).toBe("/about");
    expect(await res.text()).not.toMatch(/apollo|cdn|sandbox/i);
    // A client asking for JSON without a query gets the API's error: 401 without a key (checked first), else 400.
    expect((await get(s.t.app.url, { accept: "application/json" })).status).toBe(401);
    const json = await get(s.t.app.url, { accept: "application/json", authorization: `Bearer ${s.api.key}` });
    expect(json.status).toBe(400);
    expect(((await json.json()) as { errors: Array<{ extensions: { code: string } }> }).errors[0].extensions.code).toBe("BAD_USER_INPUT");
  });

  it("has no GraphiQL outside development unless asked for", async () => {
    for (const path of ["/graphiql", "/graphiql/assets/graphiql.min.js", "/graphiql/assets/start.js"]) {
      expect((await get(`${origin()}${path}`, BROWSER)).status).toBe(404);
    }
  });
});

describe(`GraphiQL with QUALIFY_GRAPHIQL=on [${testDatabase()}]`, () => {
  const s = useTestApp({ QUALIFY_GRAPHIQL: "on" });
  const origin = () => new URL(s.t.app.url).origin;

  it("serves the page and everything it loads from this service: no URL elsewhere, the right content types", async () => {
    const res = await get(`${origin()}/graphiql`, BROWSER);
    expect(res.status).toBe(200);
    expect(res.headers.get("content-type")).toBe("text/html; charset=utf-8");
    expect(res.headers.get("content-security-policy")).toMatch(/default-src 'self'.*script-src 'self'/);
    const html = await res.text();
    expect(absoluteUrls(html)).toEqual([]);
    expect(html).toContain('data-endpoint="/graphql"');

    const assets = [...html.matchAll(/(?:src|href)="([^"]+)"/g)].map((m) => m[1]);
    expect(assets.sort()).toEqual([
      "/graphiql/assets/graphiql.min.css",
      "/graphiql/assets/graphiql.min.js",
      "/graphiql/assets/react-dom.production.min.js",
      "/graphiql/assets/react.production.min.js",
      "/graphiql/assets/start.js",
    ]);
    const bodies: Record<string, string> = {};
    for (const asset of assets) {
      const loaded = await get(`${origin()}${asset}`);
      expect(loaded.status).toBe(200);
      expect(loaded.headers.get("content-type")).toBe(asset.endsWith(".css") ? "text/css; charset=utf-8" : "text/javascript; charset=utf-8");
      bodies[asset.slice("/graphiql/assets/".length)] = await loaded.text();
    }
    // The packages' own builds: GraphiQL 3 on React 18.
    expect(bodies["react.production.min.js"]).toMatch(/React v18|18\.3\.1/);
    expect(bodies["react-dom.production.min.js"]).toMatch(/18\.3\.1/);
    expect(bodies["graphiql.min.js"]).toContain("window.GraphiQL");
    expect(bodies["start.js"]).toContain("GraphiQL.createFetcher");
    // The stylesheet pulls nothing from elsewhere (its images are data: URLs).
    expect(bodies["graphiql.min.css"]).not.toMatch(/@import|url\(\s*['"]?(?:https?:)?\/\//i);
    expect((await get(`${origin()}/graphiql/assets/package.json`)).status).toBe(404);
  });

  it("is where a browser opening /graphql goes, and the about page links it", async () => {
    const res = await get(s.t.app.url, BROWSER);
    expect(res.status).toBe(302);
    expect(res.headers.get("location")).toBe("/graphiql");
    expect(await (await get(`${origin()}/about`)).text()).toContain('href="/graphiql"');
  });
});

/**
 * One GET with exactly these headers (fetch would choose Accept-Encoding itself and decode the
 * body) and exactly this path (a URL would have its `..` resolved before it is sent).
 */
function raw(url: string, headers: Record<string, string> = {}): Promise<{ status: number; headers: http.IncomingHttpHeaders; body: Buffer }> {
  const { hostname, port } = new URL(url);
  const path = url.slice(url.indexOf("/", url.indexOf("//") + 2));
  return new Promise((resolve, reject) => {
    http
      .get({ hostname, port, path, headers }, (res) => {
        const chunks: Buffer[] = [];
        res.on("data", (c: Buffer) => chunks.push(c));
        res.on("end", () => resolve({ status: res.statusCode ?? 0, headers: res.headers, body: Buffer.concat(chunks) }));
      })
      .on("error", reject);
  });
}

describe(`the workbench at / [${testDatabase()}]`, () => {
  beforeAll(ensureWebBuilt, 180_000);
  const s = useTestApp();
  const origin = () => new URL(s.t.app.url).origin;

  it("serves the app's page with its policy, revalidated on every load, compressed as the browser accepts", async () => {
    const plain = await raw(`${origin()}/`, BROWSER);
    expect(plain.status).toBe(200);
    expect(plain.headers["content-type"]).toBe("text/html; charset=utf-8");
    expect(plain.headers["content-encoding"]).toBeUndefined();
    expect(plain.headers["cache-control"]).toBe("no-cache");
    expect(plain.headers.vary).toMatch(/Accept-Encoding/i);
    expect(plain.headers["x-content-type-options"]).toBe("nosniff");
    const csp = String(plain.headers["content-security-policy"]);
    // Scripts only from here (no inline, no eval), connections only to here (the API, its WebSocket), no framing.
    expect(csp).toMatch(/(^|; )default-src 'self'(;|$)/);
    expect(csp).toMatch(/(^|; )script-src 'self'(;|$)/);
    expect(csp).toMatch(/(^|; )connect-src 'self'(;|$)/);
    expect(csp).toMatch(/(^|; )frame-ancestors 'none'(;|$)/);
    expect(csp).not.toMatch(/unsafe-eval|https?:|\*/);
    const html = plain.body.toString("utf8");
    expect(html).toContain('<div id="root"></div>');
    expect(html).not.toMatch(/(?:src|href)="(?:https?:)?\/\//);

    const br = await raw(`${origin()}/`, { ...BROWSER, "accept-encoding": "gzip, deflate, br" });
    expect(br.headers["content-encoding"]).toBe("br");
    expect(brotliDecompressSync(br.body).toString("utf8")).toBe(html);
    const gz = await raw(`${origin()}/`, { ...BROWSER, "accept-encoding": "gzip" });
    expect(gz.headers["content-encoding"]).toBe("gzip");
    expect(gunzipSync(gz.body).toString("utf8")).toBe(html);

    // A link into the app, reloaded, is the same page (the app routes it); other paths are not.
    for (const path of ["/model", "/leads", "/leads/123", "/funnel", "/admin"]) {
      const res = await raw(`${origin()}${path}`, BROWSER);
      expect([path, res.status, res.body.toString("utf8")]).toEqual([path, 200, html]);
    }
    expect((await raw(`${origin()}/no-such-page`, BROWSER)).status).toBe(404);
  });

  it("serves each asset the page loads precompressed (br, gzip, or as built), cached for a year; nothing else", async () => {
    const html = (await raw(`${origin()}/`, BROWSER)).body.toString("utf8");
    const assets = [...html.matchAll(/(?:src|href)="(\/assets\/[^"]+)"/g)].map((m) => m[1]);
    expect(assets.some((a) => a.endsWith(".js"))).toBe(true);
    expect(assets.some((a) => a.endsWith(".css"))).toBe(true);
    for (const asset of assets) {
      const identity = await raw(`${origin()}${asset}`);
      expect(identity.status).toBe(200);
      expect(identity.headers["content-type"]).toBe(asset.endsWith(".js") ? "text/javascript; charset=utf-8" : "text/css; charset=utf-8");
      expect(identity.headers["cache-control"]).toBe("public, max-age=31536000, immutable");
      expect(identity.headers["content-encoding"]).toBeUndefined();
      const br = await raw(`${origin()}${asset}`, { "accept-encoding": "br" });
      expect(br.headers["content-encoding"]).toBe("br");
      expect(br.body.length).toBeLessThan(identity.body.length);
      expect(brotliDecompressSync(br.body).equals(identity.body)).toBe(true);
      const gz = await raw(`${origin()}${asset}`, { "accept-encoding": "gzip" });
      expect(gz.headers["content-encoding"]).toBe("gzip");
      expect(gunzipSync(gz.body).equals(identity.body)).toBe(true);
    }
    const js = assets.find((a) => a.endsWith(".js")) as string;
    const missing = [
      "/assets/no-such-file.js",
      `${js}.br`,
      `${js}.gz`,
      "/assets/..%2F..%2Fpackage.json",
      "/assets/%2E%2E%2Findex.html",
      "/assets/..%5C..%5Cpackage.json",
      "/assets/",
      "/assets/.",
      "/assets/..",
      "/assets/../../package.json",
      "/../package.json",
    ];
    for (const path of missing) {
      const res = await raw(`${origin()}${path}`, { "accept-encoding": "br" });
      expect([path, res.status]).toEqual([path, 404]);
      // Neither a file of the disk (package.json) nor the app's page in place of the asset.
      expect(res.body.toString("utf8")).not.toMatch(/"name"|id="root"/);
    }
  });
});

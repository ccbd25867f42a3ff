/**
 * GraphiQL at `/graphiql`, working offline: the page and everything it loads come from this
 * service, out of the npm packages (graphiql 3.8.3's UMD bundle and stylesheet, and the React 18
 * UMD builds it needs), never from a CDN. On in development or with `QUALIFY_GRAPHIQL=on`
 * (http-server mounts it only then). React 18 lives only here: nothing else of the service
 * serves or imports it.
 *
 * The header editor starts with `Authorization: Bearer …` to fill in; subscriptions go over
 * graphql-ws with the same key (sent as `connectionParams.authorization`).
 */
import path from "node:path";
import express from "express";
import { PAGE_HEADERS, sendListedFile } from "./home-page";

export const GRAPHIQL_PATH = "/graphiql";
const ASSETS_PATH = `${GRAPHIQL_PATH}/assets`;

/** A package's directory (its `package.json` is resolvable even where `exports` hides the rest). */
const packageDir = (name: string): string => path.dirname(require.resolve(`${name}/package.json`));

/** What the page loads, by the name it is served under: a file of a package, and its content type. */
const ASSETS: Record<string, { file: () => string; type: string }> = {
  "react.production.min.js": { file: () => path.join(packageDir("react"), "umd", "react.production.min.js"), type: "text/javascript" },
  "react-dom.production.min.js": { file: () => path.join(packageDir("react-dom"), "umd", "react-dom.production.min.js"), type: "text/javascript" },
  "graphiql.min.js": { file: () => path.join(packageDir("graphiql"), "graphiql.min.js"), type: "text/javascript" },
  "graphiql.min.css": { file: () => path.join(packageDir("graphiql"), "graphiql.min.css"), type: "text/css" },
};

/**
 * The page's own script (served as a file: the CSP allows no inline script). The endpoint comes
 * from the page; one fetcher per key typed in the header editor, so subscriptions get the key too.
 */
const START_SCRIPT = `(function () {
  "use strict";
  var root = document.getElementById("graphiql");
  var endpoint = new URL(root.getAttribute("data-endpoint"), location.href).href;
  var fetchers = new Map();
  function authorizationOf(headers) {
    for (var name in headers || {}) if (name.toLowerCase() === "authorization") return String(headers[name]);
    return "";
  }
  function fetcherFor(authorization) {
    if (!fetchers.has(authorization)) {
      fetchers.set(authorization, GraphiQL.createFetcher({
        url: endpoint,
        subscriptionUrl: endpoint.replace(/^http/, "ws"),
        wsConnectionParams: authorization ? { authorization: authorization } : {}
      }));
    }
    return fetchers.get(authorization);
  }
  function fetcher(params, options) {
    return fetcherFor(authorizationOf(options && options.headers))(params, options);
  }
  ReactDOM.createRoot(root).render(React.createElement(GraphiQL, {
    fetcher: fetcher,
    defaultHeaders: JSON.stringify({ Authorization: "Bearer <your API key>" }, null, 2),
    defaultEditorToolsVisibility: "headers",
    shouldPersistHeaders: false,
    defaultQuery: "# Put your API key in the Headers tab below, re-fetch the schema (Shift-Ctrl-R),\\n" +
      "# then run the operation (Ctrl-Enter).\\n" +
      "query Funnel {\\n  funnel { stage leads reached conversionToNext }\\n}\\n"
  }));
})();
`;

/** Everything from this service; GraphiQL's inline styles and data: images need their allowances. */
const CSP = [
  "default-src 'self'",
  "script-src 'self'",
  "style-src 'self' 'unsafe-inline'",
  "img-src 'self' data:",
  "font-src 'self' data:",
  "connect-src 'self' ws: wss:",
  "base-uri 'none'",
  "form-action 'none'",
  "frame-ancestors 'none'",
].join("; ");

export function graphiqlRoutes(graphqlPath: string): express.Router {
  // Resolved once: a missing package fails the start, not a browser later.
  const files = new Map(Object.entries(ASSETS).map(([name, asset]) => [name, { path: asset.file(), type: asset.type }]));
  const router = express.Router();
  router.get(GRAPHIQL_PATH, (_req, res) => {
    res.set({ ...PAGE_HEADERS, "content-security-policy": CSP }).send(page(graphqlPath));
  });
  router.get(`${ASSETS_PATH}/start.js`, (_req, res) => {
    res.set({ "x-content-type-options": "nosniff", "cache-control": "no-cache" }).type("text/javascript; charset=utf-8").send(START_SCRIPT);
  });
  router.get(`${ASSETS_PATH}/:name`, (req, res) => {
    const asset = files.get(req.params.name);
    sendListedFile(res, asset?.path, `${asset?.type}; charset=utf-8`);
  });
  return router;
}

function page(graphqlPath: string): string {
  return `<!doctype html>
<html lang="en">
<head>
  <meta charset="utf-8">
  <meta name="viewport" content="width=device-width, initial-scale=1">
  <title>Qualify · GraphiQL</title>
  <link rel="stylesheet" href="${ASSETS_PATH}/graphiql.min.css">
  <style>html, body, #graphiql { height: 100%; margin: 0; }</style>
</head>
<body>
  <div id="graphiql" data-endpoint="${graphqlPath}">Loading GraphiQL…</div>
  <script src="${ASSETS_PATH}/react.production.min.js"></script>
  <script src="${ASSETS_PATH}/react-dom.production.min.js"></script>
  <script src="${ASSETS_PATH}/graphiql.min.js"></script>
  <script src="${ASSETS_PATH}/start.js"></script>
</body>
</html>
`;
}

/**
 * `GET /about`: a small self-contained page about the service for whoever opens it in a browser
 * (the workbench at `/` links to it): what it is, the GraphQL endpoint, how to authenticate, where health, metrics
 * and GraphiQL are, and the project's documentation, served as plain text under `/docs/` from a
 * fixed list of files (README.md, docs/*.md, schema.graphql: nothing else of the disk is
 * reachable). No script, no external asset; the Content-Security-Policy says so to the browser.
 */
import fs from "node:fs";
import path from "node:path";
import express from "express";
import { projectRoot } from "../project-root";

export interface HomePageOptions {
  graphqlPath: string;
  /** Where `/metrics` is (read per request): on this port (`port` null), on a port of its own, or off (null). */
  metrics: () => { path: string; port: number | null } | null;
  /** The GraphiQL page's path when it is on. */
  graphiqlPath: string | null;
}

export const DOCS_PATH = "/docs";
export const ABOUT_PATH = "/about";

/** The pages' headers: nothing loads from elsewhere, nothing is sniffed, no referrer leaves. */
export const PAGE_HEADERS = {
  "content-type": "text/html; charset=utf-8",
  "x-content-type-options": "nosniff",
  "referrer-policy": "no-referrer",
  "cache-control": "no-store",
};

const README_SECTIONS = ["Settings", "API keys", "The API", "Example queries", "Operations", "How it is built"];

const escapeHtml = (text: string): string =>
  text.replace(/[&<>"']/g, (c) => ({ "&": "&amp;", "<": "&lt;", ">": "&gt;", '"': "&quot;", "'": "&#39;" })[c] as string);

/** The documents served under `/docs/`: name → file, for those present (a slim install may lack them). */
function documents(root: string): Map<string, string> {
  const found = new Map<string, string>();
  const add = (name: string, file: string) => {
    if (fs.existsSync(file)) found.set(name, file);
  };
  add("README.md", path.join(root, "README.md"));
  const docsDir = path.join(root, "docs");
  if (fs.existsSync(docsDir)) {
    for (const name of fs.readdirSync(docsDir).sort()) if (/^[a-z0-9-]+\.md$/.test(name)) add(name, path.join(docsDir, name));
  }
  add("schema.graphql", path.join(root, "schema.graphql"));
  return found;
}

/** The first heading of a markdown file, for the list of documents. */
function titleOf(file: string): string {
  const heading = /^#\s+(.+)$/m.exec(fs.readFileSync(file, "utf8"));
  return heading ? heading[1].trim() : path.basename(file);
}

export function homeRoutes(options: HomePageOptions): express.Router {
  const root = projectRoot();
  const docs = documents(root);
  const version = (JSON.parse(fs.readFileSync(path.join(root, "package.json"), "utf8")) as { version: string }).version;
  const titles = new Map([...docs].map(([name, file]) => [name, name.endsWith(".md") && name !== "README.md" ? titleOf(file) : null]));
  const router = express.Router();

  router.get(ABOUT_PATH, (req, res) => {
    // The address the browser used, as it sent it (escaped: it is the client's text).
    const origin = `${req.protocol}://${req.get("host") ?? "localhost"}`;
    res.set({ ...PAGE_HEADERS, "content-security-policy": "default-src 'none'; style-src 'unsafe-inline'; base-uri 'none'; form-action 'none'; frame-ancestors 'none'" });
    res.send(renderHome({ graphqlPath: options.graphqlPath, graphiqlPath: options.graphiqlPath, metrics: options.metrics(), origin, version, docs: [...titles] }));
  });

  router.get(`${DOCS_PATH}/:name`, (req, res) => sendListedFile(res, docs.get(req.params.name), "text/plain; charset=utf-8"));
  return router;
}

/** Sends one of the files a page serves, as `contentType`; `file` undefined (not one of them): 404. */
export function sendListedFile(res: express.Response, file: string | undefined, contentType: string): void {
  if (!file) {
    res.status(404).type("text/plain").send("Not found\n");
    return;
  }
  res.set({ "x-content-type-options": "nosniff", "cache-control": "no-cache" }).type(contentType).sendFile(file);
}

interface HomeView extends Omit<HomePageOptions, "metrics"> {
  metrics: ReturnType<HomePageOptions["metrics"]>;
  origin: string;
  version: string;
  /** Documents served: name and title (null: the name says it). */
  docs: Array<[string, string | null]>;
}

function renderHome(view: HomeView): string {
  const origin = escapeHtml(view.origin);
  const graphqlUrl = `${origin}${view.graphqlPath}`;
  const wsUrl = graphqlUrl.replace(/^http/, "ws");
  const link = (href: string, text = href) => `<a href="${escapeHtml(href)}">${escapeHtml(text)}</a>`;
  const metrics =
    view.metrics === null
      ? "off (<code>QUALIFY_METRICS=off</code>)"
      : view.metrics.port === null
        ? `${link(view.metrics.path)}, Prometheus text format, no key`
        : `on port ${view.metrics.port} of this host (<code>${escapeHtml(view.metrics.path)}</code>), Prometheus text format`;
  const graphiql =
    view.graphiqlPath === null
      ? "off here: it is on in development (<code>NODE_ENV=development</code>) or with <code>QUALIFY_GRAPHIQL=on</code>"
      : `${link(view.graphiqlPath)}: explore the schema and run operations (served from this service, no CDN)`;
  const docs = view.docs.length
    ? view.docs.map(([name, title]) => `<li>${link(`${DOCS_PATH}/${name}`, name)}${title ? ` — ${escapeHtml(title)}` : ""}${name === "README.md" ? `: ${README_SECTIONS.join(", ")}` : ""}</li>`).join("\n      ")
    : "<li>Not installed with this copy of the service: see the project's repository (README.md, docs/).</li>";
  return `<!doctype html>
<html lang="en">
<head>
  <meta charset="utf-8">
  <meta name="viewport" content="width=device-width, initial-scale=1">
  <title>Qualify</title>
  <style>
    body { font: 16px/1.5 system-ui, sans-serif; max-width: 46rem; margin: 2rem auto; padding: 0 1rem; color: #1d2330; }
    h1 { margin-bottom: 0; } .sub { color: #5b6475; margin-top: 0.2rem; }
    h2 { font-size: 1.1rem; margin-top: 1.8rem; border-bottom: 1px solid #e3e6ec; }
    code, pre { font: 0.9em ui-monospace, monospace; background: #f3f5f8; border-radius: 4px; }
    code { padding: 0.1em 0.3em; } pre { padding: 0.8em; overflow-x: auto; }
    a { color: #2456c9; }
  </style>
</head>
<body>
  <h1>Qualify</h1>
  <p class="sub">Open-source lead qualification · version ${escapeHtml(view.version)}</p>
  <p>Leads and what they do (interactions) in a funnel, scored by rules written as code, all behind
  one GraphQL API: record interactions, read leads with their score explained, follow stage moves live.</p>
  <p>The workbench, for writing the model and working the leads in a browser: ${link("/", "open it")} and sign in with an API key.</p>

  <h2>GraphQL endpoint</h2>
  <p><code>POST ${graphqlUrl}</code> with a JSON body <code>{"query": …, "variables": …}</code>;
  subscriptions over <code>graphql-ws</code> at <code>${wsUrl}</code>. The schema: ${link(`${DOCS_PATH}/schema.graphql`, "schema.graphql")}.</p>
  <p>GraphiQL: ${graphiql}.</p>

  <h2>Authentication</h2>
  <p>Every request carries an API key: <code>Authorization: Bearer &lt;key&gt;</code>
  (subscriptions: <code>connectionParams.authorization</code>). The first start prints an admin key;
  create others with scopes <code>read</code>, <code>ingest</code>, <code>sales</code>, <code>admin</code>:</p>
  <pre>npx qualify keys create --scopes read,ingest --name "web tracker"</pre>
  <pre>curl ${graphqlUrl} -H "Authorization: Bearer $KEY" -H 'Content-Type: application/json' \\
  -d '{"query":"{ funnel { stage leads } }"}'</pre>

  <h2>Operations</h2>
  <ul>
    <li>Liveness: ${link("/health/live")}; readiness (the database answers): ${link("/health/ready")}. No key.</li>
    <li>Metrics: ${metrics}.</li>
    <li>Logs: JSON lines on the process's stderr (<code>QUALIFY_LOG_LEVEL</code>).</li>
  </ul>

  <h2>Documentation</h2>
  <ul>
      ${docs}
  </ul>
</body>
</html>
`;
}

/**
 * The workbench at `/`: the single-page app built from `web/` into `dist/web` (`npm run build`),
 * served from this service with nothing loaded from elsewhere. Its assets have content hashes in
 * their names (cached for a year) and Brotli/gzip copies made by the build (sent as the browser
 * accepts, never compressed per request); every other GET a browser makes for a page (Accept:
 * text/html) outside the service's own paths gets `index.html`, so links into the app (`/leads/…`)
 * work on reload. Without a build (a checkout where `npm run build` has not run) `/` says how to make one.
 */
import fs from "node:fs";
import path from "node:path";
import express from "express";
import { PAGE_HEADERS } from "./home-page";

export const WORKBENCH_ROUTES = ["/", "/model", "/leads", "/leads/:id", "/funnel", "/admin"];

/** The page's policy: scripts and styles from here (CodeMirror writes style elements), the API and its WebSocket here. */
const CONTENT_SECURITY_POLICY =
  "default-src 'self'; script-src 'self'; style-src 'self' 'unsafe-inline'; img-src 'self' data: blob:; connect-src 'self'; " +
  "base-uri 'none'; form-action 'self'; frame-ancestors 'none'; object-src 'none'";

const TYPES: Record<string, string> = {
  ".js": "text/javascript; charset=utf-8",
  ".css": "text/css; charset=utf-8",
  ".html": "text/html; charset=utf-8",
  ".svg": "image/svg+xml",
  ".json": "application/json",
  ".png": "image/png",
  ".woff2": "font/woff2",
};

/** The encoding to send `file` in: a precompressed copy the client accepts, or none. */
function encodingFor(req: express.Request, file: string): { file: string; encoding: string | null } {
  const accepted = String(req.headers["accept-encoding"] ?? "");
  if (/\bbr\b/.test(accepted) && fs.existsSync(`${file}.br`)) return { file: `${file}.br`, encoding: "br" };
  if (/\bgzip\b/.test(accepted) && fs.existsSync(`${file}.gz`)) return { file: `${file}.gz`, encoding: "gzip" };
  return { file, encoding: null };
}

function sendFile(req: express.Request, res: express.Response, file: string, cacheControl: string): void {
  const chosen = encodingFor(req, file);
  res.set({ "content-type": TYPES[path.extname(file)] ?? "application/octet-stream", "cache-control": cacheControl, vary: "Accept-Encoding", "x-content-type-options": "nosniff" });
  if (chosen.encoding) res.set("content-encoding", chosen.encoding);
  res.sendFile(chosen.file);
}

export function workbenchRoutes(webDir: string): express.Router {
  const router = express.Router();
  const index = path.join(webDir, "index.html");
  const assets = path.join(webDir, "assets");

  router.get("/assets/:name", (req, res) => {
    const name = req.params.name;
    const file = path.join(assets, name);
    // Only files of the build, by name: no path of the disk beyond it is reachable.
    if (!/^[\w.-]+$/.test(name) || name.endsWith(".br") || name.endsWith(".gz") || !fs.existsSync(file)) {
      res.status(404).type("text/plain").send("Not found\n");
      return;
    }
    sendFile(req, res, file, "public, max-age=31536000, immutable");
  });

  const sendApp = (req: express.Request, res: express.Response) => {
    if (!fs.existsSync(index)) {
      res
        .status(503)
        .set(PAGE_HEADERS)
        .send("<!doctype html><title>Qualify</title><p>The workbench is not built: run <code>npm run build</code>. The API is at <a href=\"/about\">/about</a>.</p>");
      return;
    }
    res.set({ ...PAGE_HEADERS, "content-security-policy": CONTENT_SECURITY_POLICY });
    sendFile(req, res, index, "no-cache");
  };
  for (const route of WORKBENCH_ROUTES) router.get(route, sendApp);
  return router;
}

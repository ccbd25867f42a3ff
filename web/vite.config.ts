/**
 * The workbench's build: one page (`index.html`), its code split per page, into `dist/web` of the
 * project (the service serves it at `/`). The rule language is the service's own `src/dsl`, bundled
 * (`@dsl`): diagnostics, completion and model tests run in the browser with no round trip.
 * Every emitted asset also gets a Brotli and a gzip copy, so the service sends compressed files
 * without compressing per request.
 */
import { brotliCompressSync, constants, gzipSync } from "node:zlib";
import { readFileSync, writeFileSync } from "node:fs";
import path from "node:path";
import { fileURLToPath } from "node:url";
import react from "@vitejs/plugin-react";
import { defineConfig, type Plugin } from "vite";

const here = path.dirname(fileURLToPath(import.meta.url));
const outDir = path.resolve(here, "../dist/web");

function precompress(): Plugin {
  return {
    name: "qualify-precompress",
    apply: "build",
    writeBundle(_options, bundle) {
      for (const name of Object.keys(bundle)) {
        if (!/\.(js|css|html|svg|json)$/.test(name)) continue;
        const file = path.join(outDir, name);
        const body = readFileSync(file);
        writeFileSync(`${file}.br`, brotliCompressSync(body, { params: { [constants.BROTLI_PARAM_QUALITY]: 11 } }));
        writeFileSync(`${file}.gz`, gzipSync(body, { level: 9 }));
      }
    },
  };
}

export default defineConfig({
  root: here,
  plugins: [react(), precompress()],
  resolve: {
    alias: { "@dsl": path.resolve(here, "../src/dsl") },
    // One copy of each: React 19 is the workbench's (the root's React 18 is GraphiQL's), and
    // CodeMirror breaks with two instances of its state or view packages.
    dedupe: ["react", "react-dom", "@codemirror/state", "@codemirror/view", "@codemirror/language", "@lezer/common", "@lezer/highlight"],
  },
  build: { outDir, emptyOutDir: true, target: "es2022", sourcemap: false, chunkSizeWarningLimit: 700 },
  server: {
    // `npm run dev -w web` beside `npm start`: the API is the service's.
    proxy: { "/graphql": { target: "http://127.0.0.1:4000", ws: true } },
  },
  test: {
    environment: "jsdom",
    include: ["src/**/*.test.{ts,tsx}"],
  },
} as Parameters<typeof defineConfig>[0]);

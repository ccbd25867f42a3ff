#!/usr/bin/env node
// The `qualify` command: runs the compiled CLI (built by `npm run build`, which `npm ci` triggers via `prepare`).
require("../dist/src/cli/main.js").main(process.argv.slice(2)).then(
  (code) => process.exit(code),
  (err) => {
    process.stderr.write(`qualify: ${err && err.message ? err.message : err}\n`);
    process.exit(2);
  },
);

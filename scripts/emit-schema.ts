/** `npm run schema`: writes the schema emitted from the code to `schema.graphql` at the repo root. */
import fs from "node:fs";
import path from "node:path";
import { printQualifySchema } from "../src/schema/build-schema";

export const SCHEMA_FILE = path.resolve(__dirname, "..", "..", "schema.graphql");

printQualifySchema().then(
  (sdl) => {
    fs.writeFileSync(SCHEMA_FILE, sdl);
    process.stdout.write(`wrote ${SCHEMA_FILE}\n`);
  },
  (err: unknown) => {
    process.stderr.write(`${err instanceof Error ? err.stack : String(err)}\n`);
    process.exitCode = 1;
  },
);

/**
 * Typed GraphQL documents from the service's `schema.graphql`: every `graphql(`…`)` in src/ is
 * checked against the schema and given its result and variables types (src/gql, generated, not
 * committed). A document the schema no longer allows fails `npm run build`.
 */
import type { CodegenConfig } from "@graphql-codegen/cli";

const config: CodegenConfig = {
  schema: "../schema.graphql",
  documents: ["src/**/*.{ts,tsx}", "!src/gql/**/*"],
  ignoreNoDocuments: false,
  generates: {
    "src/gql/": {
      preset: "client",
      presetConfig: { fragmentMasking: false },
      config: {
        documentMode: "string",
        enumsAsTypes: true,
        useTypeImports: true,
        scalars: { DateTime: "string", JSONObject: "Record<string, unknown>", JSON: "unknown" },
      },
    },
  },
  silent: true,
};

export default config;

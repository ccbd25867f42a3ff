/**
 * The schema the code builds breaks no client of the last released contract (the newest
 * `schema/released/v<N>.graphql`), except for the breaking changes declared, each with its
 * reason, in `schema/released/breaking-changes.json` (docs/api.md, "Changing the contract").
 */
import fs from "node:fs";
import path from "node:path";
import { buildSchema, findBreakingChanges } from "graphql";
import { printQualifySchema } from "../../src/schema/build-schema";

const RELEASED_DIR = path.resolve(__dirname, "../../schema/released");
/** The newest release: `v2.graphql` after `v1.graphql`. */
const RELEASED = path.join(
  RELEASED_DIR,
  fs
    .readdirSync(RELEASED_DIR)
    .filter((name) => /^v\d+\.graphql$/.test(name))
    .sort((a, b) => Number(a.slice(1, -8)) - Number(b.slice(1, -8)))
    .at(-1) ?? "v1.graphql",
);
const DECLARED = path.join(RELEASED_DIR, "breaking-changes.json");

/** A breaking change as graphql-js names it: `FIELD_REMOVED` and `Lead.score was removed.` */
interface Change {
  type: string;
  description: string;
}

interface DeclaredChange extends Change {
  reason: string;
}

/**
 * Compares two schemas (SDL): the breaking changes from `released` to `current` that are not
 * declared, and the declared ones that no longer happen (the list must stay current).
 */
function compareContracts(released: string, current: string, declared: readonly DeclaredChange[]) {
  const key = (c: Change) => `${c.type}: ${c.description}`;
  const breaking = findBreakingChanges(buildSchema(released), buildSchema(current)).map((c) => ({ type: c.type, description: c.description }));
  const happening = new Set(breaking.map(key));
  const allowed = new Set(declared.map(key));
  return {
    undeclared: breaking.filter((c) => !allowed.has(key(c))).map(key),
    stale: declared.filter((c) => !happening.has(key(c))).map(key),
  };
}

function declaredChanges(): DeclaredChange[] {
  const { breakingChanges } = JSON.parse(fs.readFileSync(DECLARED, "utf8")) as { breakingChanges: DeclaredChange[] };
  for (const c of breakingChanges) {
    if (!c.type || !c.description || !c.reason?.trim()) {
      throw new Error(`${DECLARED}: every entry needs a type, a description and a reason: ${JSON.stringify(c)}`);
    }
  }
  return breakingChanges;
}

describe("the schema against the released contract", () => {
  it("breaks nothing that is not declared, and every declared break happens", async () => {
    const { undeclared, stale } = compareContracts(fs.readFileSync(RELEASED, "utf8"), await printQualifySchema(), declaredChanges());
    if (undeclared.length > 0) {
      throw new Error(
        `The schema breaks clients of ${path.relative(process.cwd(), RELEASED)}:\n  ${undeclared.join("\n  ")}\n` +
          `Keep the old shape (add rather than change), or declare each break with a reason in ${path.relative(process.cwd(), DECLARED)}.`,
      );
    }
    if (stale.length > 0) {
      throw new Error(`Declared in ${path.relative(process.cwd(), DECLARED)} but no longer happening (remove them):\n  ${stale.join("\n  ")}`);
    }
  });
});

describe("compareContracts", () => {
  const RELEASED_SDL = `
    type Query { lead(id: ID!): Lead  leads(first: Int): [Lead!]! }
    type Lead { id: ID!  score: Int!  stage: String! }
    enum Severity { ERROR WARNING }
    input LeadFilter { stage: [String!] }
  `;

  it("additions break nothing", () => {
    const current = RELEASED_SDL.replace("stage: String! }", "stage: String!  fit: Int! }").replace("leads(first: Int)", "leads(first: Int, after: String)");
    expect(compareContracts(RELEASED_SDL, current, [])).toEqual({ undeclared: [], stale: [] });
  });

  it("finds removed fields, changed types, removed enum values and new required arguments", () => {
    const current = RELEASED_SDL.replace("score: Int!  ", "")
      .replace("stage: String! }", "stage: Int! }")
      .replace("ERROR WARNING", "ERROR")
      .replace("leads(first: Int)", "leads(first: Int, orderBy: String!)");
    expect(compareContracts(RELEASED_SDL, current, []).undeclared.sort()).toEqual([
      "FIELD_CHANGED_KIND: Lead.stage changed type from String! to Int!.",
      "FIELD_REMOVED: Lead.score was removed.",
      "REQUIRED_ARG_ADDED: A required arg orderBy on Query.leads was added.",
      "VALUE_REMOVED_FROM_ENUM: WARNING was removed from enum type Severity.",
    ]);
  });

  it("a declared break passes; a declaration that no longer happens is reported", () => {
    const current = RELEASED_SDL.replace("score: Int!  ", "");
    const declared = [{ type: "FIELD_REMOVED", description: "Lead.score was removed.", reason: "replaced by fit + engagement" }];
    expect(compareContracts(RELEASED_SDL, current, declared)).toEqual({ undeclared: [], stale: [] });
    expect(compareContracts(RELEASED_SDL, RELEASED_SDL, declared)).toEqual({ undeclared: [], stale: ["FIELD_REMOVED: Lead.score was removed."] });
  });
});

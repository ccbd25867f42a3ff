/** The checked-in schema.graphql is the schema the code builds (run `npm run schema` to refresh it). */
import fs from "node:fs";
import path from "node:path";
import { printQualifySchema } from "../../src/schema/build-schema";

it("schema.graphql is up to date with the code", async () => {
  const checkedIn = fs.readFileSync(path.resolve(__dirname, "../../schema.graphql"), "utf8");
  const emitted = await printQualifySchema();
  if (checkedIn !== emitted) {
    throw new Error("schema.graphql is stale: run `npm run schema` and commit the result");
  }
});

it("keeps the contract's names", async () => {
  const sdl = await printQualifySchema();
  for (const name of [
    "type Lead ",
    "type Interaction ",
    "type StageTransition ",
    "enum StageCause",
    "type FunnelStageStats",
    "input LeadFilter",
    "input LeadOrder",
    "enum LeadOrderField",
    "enum OrderDirection",
    "input LeadInput",
    "input InteractionInput",
    "type RecordInteractionPayload",
    "type LeadStageChanged",
    "type LeadConnection",
    "type InteractionConnection",
    "scalar DateTime",
    "scalar JSONObject",
  ]) {
    expect(sdl).toContain(name);
  }
});

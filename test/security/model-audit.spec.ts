/**
 * The audit of scoring models (issue 11, item 5): every published version records who published
 * it (the key's name and id) and an optional comment; `republishModel` rolls back by publishing an
 * old version's source as a new version, rescored like a publish; the database itself refuses to
 * change or delete a published version (a trigger), while the service's own switch of the active
 * version keeps working; bad input is BAD_USER_INPUT on its field and changes nothing.
 */
import { Client } from "pg";
import { MAX_COMMENT_LENGTH } from "../../src/services/validation";
import { gql, codeOf, type GraphQLTestClient } from "../api/helpers/graphql-client";
import { ago, DAY, expectEveryLeadMatchesReplay, scoringCalls } from "../api/helpers/scoring";
import { testDatabase, uniqueEmail, useTestApp } from "../api/helpers/test-app";

const MODEL_A = `
funnel Subscriber > Lead > MQL > SQL > Customer | Other
visit "/pricing" => +10
download => +4
stage MQL when score >= 30
`;

const MODEL_B = `
funnel Subscriber > Lead > MQL > SQL > Customer | Other
visit "/pricing" => +25 once
download => +1
email_open => +2
stage MQL when score >= 20
`;

interface AuditedModel {
  id: string;
  version: number;
  active: boolean;
  source: string;
  publishedAt: string;
  publishedBy: string | null;
  publishedById: string | null;
  comment: string | null;
  republishedFrom: number | null;
}

const FIELDS = "id version active source publishedAt publishedBy publishedById comment republishedFrom";

interface Published {
  model: AuditedModel;
  leadsRescored: number;
  stageChanges: number;
}

const PUBLISH = gql<{ publishModel: Published }, { source: string; comment?: string | null }>(`
  mutation Publish($source: String!, $comment: String) {
    publishModel(source: $source, comment: $comment) { model { ${FIELDS} } leadsRescored stageChanges }
  }`);

const REPUBLISH = gql<{ republishModel: Published }, { version: number; comment?: string | null }>(`
  mutation Republish($version: Int!, $comment: String) {
    republishModel(version: $version, comment: $comment) { model { ${FIELDS} } leadsRescored stageChanges }
  }`);

const AUDIT = gql<{ activeModel: AuditedModel | null; models: { totalCount: number; edges: Array<{ node: AuditedModel }> } }, Record<string, never>>(`
  query Audit {
    activeModel { ${FIELDS} }
    models(first: 100) { totalCount edges { node { ${FIELDS} } } }
  }`);

describe(`model audit [${testDatabase()}]`, () => {
  const s = useTestApp();
  const db = () => s.t.app.context(null).db;
  /** The models and the scored data, for "nothing changed" assertions. */
  const dump = async () => {
    const out: Record<string, unknown> = {};
    for (const table of ["scoring_model", "lead", "score_award", "stage_transition"]) out[table] = await db().query(`SELECT * FROM ${table} ORDER BY id`);
    return JSON.parse(JSON.stringify(out));
  };
  const scores = async (): Promise<Array<{ id: string; score: number; fit: number; engagement: number }>> =>
    db().query(`SELECT id, score, fit, engagement FROM lead ORDER BY id`);
  /** A pg client of its own on the suite's database, as someone with SQL access would connect. */
  async function sql<T>(work: (client: Client) => Promise<T>): Promise<T> {
    const database = s.t.config.database;
    if (database.kind !== "postgres") throw new Error("the test app always talks to a server (PGlite behind its socket)");
    const client = new Client({ connectionString: database.url });
    await client.connect();
    try {
      return await work(client);
    } finally {
      await client.end();
    }
  }

  let releaseBot: GraphQLTestClient;
  let releaseBotId: string;
  /** Every lead's score as version 2 (MODEL_A) left it. */
  let underA: Awaited<ReturnType<typeof scores>>;

  beforeAll(async () => {
    const { key, record } = await s.t.app.services.apiKeys.create(s.t.app.context(null), "release bot", ["admin"]);
    releaseBot = s.api.as(key);
    releaseBotId = record.id;
    const recordInteraction = scoringCalls(s.api).record;
    for (let i = 0; i < 6; i++) {
      const email = uniqueEmail(`audit${i}`);
      for (let k = 0; k <= i % 4; k++) {
        await recordInteraction({ email, type: k % 2 ? "download" : "visit", target: k % 3 ? "/docs" : "/pricing", occurredAt: ago((k + 1) * DAY) });
      }
      if (i % 2) await recordInteraction({ email, type: "email_open", target: "newsletter" });
    }
  });

  it("publishModel records the named key that published and its comment; models and activeModel show them", async () => {
    const { publishModel } = await releaseBot.data(PUBLISH, { source: MODEL_A, comment: "  pricing visits count less  " });
    expect(publishModel.model).toMatchObject({
      version: 2,
      active: true,
      source: MODEL_A,
      publishedBy: "release bot",
      publishedById: releaseBotId,
      comment: "pricing visits count less",
      republishedFrom: null,
    });
    underA = await scores();

    // The environment's admin key has a name and no id; no comment is null.
    const { publishModel: byEnvironment } = await s.api.data(PUBLISH, { source: MODEL_B });
    expect(byEnvironment.model).toMatchObject({ version: 3, publishedBy: "QUALIFY_ADMIN_KEY", publishedById: null, comment: null, republishedFrom: null });

    const { activeModel, models } = await s.api.data(AUDIT, {});
    expect(activeModel).toEqual(byEnvironment.model);
    expect(models.edges.map((e) => e.node)).toEqual([
      byEnvironment.model,
      { ...publishModel.model, active: false },
      // The seed model of the first start: published by the service itself, nobody's key.
      expect.objectContaining({ version: 1, active: false, publishedBy: null, publishedById: null, comment: null, republishedFrom: null }),
    ]);
  });

  it("republishModel rolls back: a new version with the old source, every lead rescored to what a replay gives", async () => {
    // Version 3 (MODEL_B) is active; version 2 (MODEL_A) scored the leads otherwise.
    const underB = await scores();
    expect(underB).not.toEqual(underA);

    const leads = underB.length;
    const { republishModel } = await releaseBot.data(REPUBLISH, { version: 2, comment: "back to A" });
    expect(republishModel.model).toMatchObject({
      version: 4,
      active: true,
      source: MODEL_A,
      publishedBy: "release bot",
      publishedById: releaseBotId,
      comment: "back to A",
      republishedFrom: 2,
    });
    expect(republishModel.leadsRescored).toBe(leads);
    expect(await expectEveryLeadMatchesReplay(s.t)).toBe(leads);
    // The rules award nothing that expires: the scores are those the leads had under version 2's source.
    expect(await scores()).toEqual(underA);

    const { activeModel, models } = await s.api.data(AUDIT, {});
    expect(activeModel).toEqual(republishModel.model);
    expect(models.totalCount).toBe(4);
    expect(models.edges.filter((e) => e.node.active).map((e) => e.node.version)).toEqual([4]);
    // The version rolled back to is as it was.
    expect(models.edges.find((e) => e.node.version === 2)?.node).toMatchObject({ source: MODEL_A, comment: "pricing visits count less", republishedFrom: null });
  });

  it("the database refuses to change or delete a published version, and still lets the active version be switched", async () => {
    const before = await dump();
    const refusals: Array<[string, RegExp]> = [
      [`UPDATE scoring_model SET source = 'visit => +1000' WHERE version = 2`, /scoring model version 2 is published and cannot be changed/],
      [`UPDATE scoring_model SET comment = 'rewritten' WHERE version = 2`, /version 2 is published and cannot be changed/],
      [`UPDATE scoring_model SET published_by = 'someone else', published_by_key_id = NULL WHERE version = 2`, /version 2 is published and cannot be changed/],
      [`UPDATE scoring_model SET published_at = published_at - interval '1 day' WHERE version = 3`, /version 3 is published and cannot be changed/],
      [`UPDATE scoring_model SET version = 99 WHERE version = 1`, /version 1 is published and cannot be changed/],
      [`UPDATE scoring_model SET funnel = '[]'::jsonb, active = true WHERE version = 1`, /version 1 is published and cannot be changed/],
      [`UPDATE scoring_model SET republished_from = NULL WHERE version = 4`, /version 4 is published and cannot be changed/],
      [`UPDATE scoring_model SET source = source || ' '`, /is published and cannot be changed/],
      [`DELETE FROM scoring_model WHERE version = 2`, /scoring model version 2 is published and cannot be deleted/],
      [`DELETE FROM scoring_model WHERE NOT active`, /is published and cannot be deleted/],
      [`TRUNCATE scoring_model CASCADE`, /published scoring models cannot be deleted/],
    ];
    await sql(async (client) => {
      for (const [statement, message] of refusals) {
        const failure = await client.query(statement).then(
          () => null,
          (err: Error & { code?: string }) => err,
        );
        expect({ statement, message: failure?.message, code: failure?.code }).toEqual({ statement, message: expect.stringMatching(message), code: "23001" });
      }
      // What a publish does to an existing version: which one is active. In a transaction rolled back.
      await client.query("BEGIN");
      await client.query(`UPDATE scoring_model SET active = false WHERE active`);
      const switched = await client.query(`UPDATE scoring_model SET active = true WHERE version = 1 RETURNING version`);
      expect(switched.rows).toEqual([{ version: 1 }]);
      await client.query("ROLLBACK");
    });
    expect(await dump()).toEqual(before);
  });

  it("bad input is BAD_USER_INPUT on its field, and nothing changes", async () => {
    const before = await dump();
    const tooLong = "x".repeat(MAX_COMMENT_LENGTH + 1);
    const cases: Array<[string, () => Promise<Parameters<typeof codeOf>[0]>, string, RegExp]> = [
      ["an unknown version", () => s.api.request(REPUBLISH, { version: 999 }), "version", /version 999 was never published \(the versions are 1 to 4\)/],
      ["version 0", () => s.api.request(REPUBLISH, { version: 0 }), "version", /version 0 was never published/],
      ["a negative version", () => s.api.request(REPUBLISH, { version: -2 }), "version", /version -2 was never published/],
      ["the largest Int", () => s.api.request(REPUBLISH, { version: 2147483647 }), "version", /version 2147483647 was never published/],
      ["a comment too long (publish)", () => s.api.request(PUBLISH, { source: MODEL_B, comment: tooLong }), "comment", /at most 1000 characters/],
      ["a comment too long (republish)", () => s.api.request(REPUBLISH, { version: 2, comment: tooLong }), "comment", /at most 1000 characters/],
      ["NUL in a comment", () => s.api.request(PUBLISH, { source: MODEL_B, comment: "a\u0000b" }), "comment", /U\+0000/],
      ["NUL in a republish's comment", () => s.api.request(REPUBLISH, { version: 1, comment: "\u0000" }), "comment", /U\+0000/],
    ];
    for (const [label, send, field, message] of cases) {
      const res = await send();
      expect({ label, code: codeOf(res), field: res.errors?.[0]?.extensions?.field, message: res.errors?.[0]?.message }).toEqual({
        label,
        code: "BAD_USER_INPUT",
        field,
        message: expect.stringMatching(message),
      });
    }
    // Both problems at once.
    const both = await s.api.request(REPUBLISH, { version: 77, comment: tooLong });
    expect(both.errors?.[0]?.extensions?.fields?.map((f) => f.field)).toEqual(["comment", "version"]);
    expect(await dump()).toEqual(before);
  });

  it("a comment of exactly the limit is kept whole; a blank one is none", async () => {
    const exact = "y".repeat(MAX_COMMENT_LENGTH);
    const { republishModel } = await s.api.data(REPUBLISH, { version: 3, comment: exact });
    expect(republishModel.model).toMatchObject({ version: 5, source: MODEL_B, comment: exact, republishedFrom: 3 });
    const { publishModel } = await s.api.data(PUBLISH, { source: MODEL_A, comment: "   " });
    expect(publishModel.model).toMatchObject({ version: 6, comment: null });
  });

  it("only admin keys publish or republish", async () => {
    const before = await dump();
    for (const scopes of [["read"], ["ingest"], ["sales"], ["read", "ingest", "sales"]] as const) {
      const client = await s.t.client([...scopes]);
      expect([scopes, codeOf(await client.request(REPUBLISH, { version: 2, comment: "mine" }))]).toEqual([scopes, "FORBIDDEN"]);
      expect([scopes, codeOf(await client.request(PUBLISH, { source: MODEL_B, comment: "mine" }))]).toEqual([scopes, "FORBIDDEN"]);
    }
    expect(await dump()).toEqual(before);
  });
});

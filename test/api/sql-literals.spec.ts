/**
 * A unit of work pipelines several statements in one round trip (`BEGIN` with the first one, the
 * write with `COMMIT`), each with bound parameters. Hostile text must arrive exactly as sent, in
 * every statement of a trip: the lead's lock and profile (upsert by email), the one-statement
 * recording by id, the batch, and the write that rides with `COMMIT` (a stage rule's text).
 */
import { RECORD_INTERACTION, RECORD_INTERACTIONS, UPSERT_LEAD } from "./helpers/documents";
import { testDatabase, uniqueEmail, useTestApp } from "./helpers/test-app";

const HOSTILE_TEXTS = [
  "O'Brien",
  "back\\slash\\",
  "'; DROP TABLE lead; --",
  "\\'; SELECT 1; --",
  "$2 and $1",
  "E'\\x41'",
  "$$dollar$$",
  "é, ü, 😀 and a\nnewline\tand tab",
];

describe(`hostile values through pipelined round trips [${testDatabase()}]`, () => {
  const s = useTestApp();
  const db = () => s.t.app.context(null).db;

  test.each(HOSTILE_TEXTS)("%j arrives as sent", async (text) => {
    const email = uniqueEmail("hostile");
    // By email: BEGIN + the lock, the profile merged (firstName: the stage rule "Lead" fires).
    const lead = (await s.t.admin.data(UPSERT_LEAD, { input: { email, firstName: text, company: text } })).upsertLead;
    expect(lead).toMatchObject({ firstName: text, company: text, stage: "Lead" });
    // By id: BEGIN + lock, key, insert and load in one statement; the write rides with COMMIT.
    const single = await s.t.admin.data(RECORD_INTERACTION, {
      input: { leadId: lead.id, type: "visit", target: text, source: text, externalId: text, properties: { [text]: text, nested: [text] } },
    });
    expect(single.recordInteraction.duplicate).toBe(false);
    // The same key again: found by the same statement.
    const again = await s.t.admin.data(RECORD_INTERACTION, { input: { leadId: lead.id, type: "visit", target: text, source: text, externalId: text } });
    expect(again.recordInteraction).toMatchObject({ duplicate: true, interaction: { id: single.recordInteraction.interaction.id } });
    // A batch: its statements carry the same text in arrays.
    const batch = await s.t.admin.data(RECORD_INTERACTIONS, {
      inputs: [{ email, type: "download", target: text, source: text, externalId: `${text}#2`, properties: { [text]: [text] } }],
    });
    expect(batch.recordInteractions[0]?.duplicate).toBe(false);

    const rows: Array<{ target: string; source: string; external_id: string; properties: unknown }> = await db().query(
      `SELECT target, source, external_id, properties FROM interaction WHERE lead_id = $1 ORDER BY seq`,
      [lead.id],
    );
    expect(rows).toEqual([
      { target: text, source: text, external_id: text, properties: { [text]: text, nested: [text] } },
      { target: text, source: text, external_id: `${text}#2`, properties: { [text]: [text] } },
    ]);
    const [stored] = await db().query(`SELECT first_name, company FROM lead WHERE id = $1`, [lead.id]);
    expect(stored).toEqual({ first_name: text, company: text });
  });
});

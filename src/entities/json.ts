/** A JSON object as stored in a jsonb column (values are whatever JSON holds). */
// eslint-disable-next-line @typescript-eslint/no-explicit-any -- TypeORM's partial-entity types need `any` here
export type JsonObject = Record<string, any>;

/**
 * The amplification attempts of issue 11, as documents: what `amplification.ts` measures against
 * a running service, and what test/security sends.
 */

/** 30 aliases of 100 leads, each with 100 interactions (8 kB; 12.4 MB of answer before the cost budget). */
export function thirtyPagesOfPages(): string {
  const lead = "id email firstName lastName company role stage score fit engagement createdAt";
  const interaction = "id type target occurredAt points source externalId";
  const page = `leads(first: 100) { edges { node { ${lead} interactions(first: 100) { edges { node { ${interaction} } } } } } }`;
  return `query Amplify { ${Array.from({ length: 30 }, (_, i) => `a${i}: ${page}`).join(" ")} }`;
}

/** `count` aliases of `__schema { types { … } }` (5,000 of them: 554 kB, answered with 85 MB before introspection was off). */
export function aliasedSchemas(count: number): string {
  const types = "types { kind name description fields(includeDeprecated: true) { name description args { name type { name } } type { name kind ofType { name kind } } } }";
  return `query Schemas { ${Array.from({ length: count }, (_, i) => `s${i}: __schema { ${types} }`).join(" ")} }`;
}

/** `count` aliases of `__typename` (30,000 passed a limit of 30 aliases). */
export function aliasedTypenames(count: number): string {
  return `query Typenames { ${Array.from({ length: count }, (_, i) => `t${i}: __typename`).join(" ")} }`;
}

/**
 * Qualify runs as production unless told otherwise (`NODE_ENV`, see config.ts). Libraries that read
 * `NODE_ENV` themselves when they load must agree: graphql-js otherwise runs its development-mode
 * `instanceOf` checks on every type test, and express its development behaviour. Imported first by
 * every entry point that serves requests, before anything that loads those libraries.
 */
process.env.NODE_ENV ||= "production";

export {};

/**
 * Qualify runs as production unless told otherwise (`NODE_ENV`, see config.ts). Libraries that read
 * `NODE_ENV` themselves when they load must agree: graphql-js otherwise runs its development-mode
 * `instanceOf` checks on every type test, and express its development behaviour. Imported first by
 * every entry point that serves requests, before anything that loads those libraries.
 */
import v8 from "node:v8";

process.env.NODE_ENV ||= "production";

/**
 * V8's allocation-site pretenuring off: V8 otherwise starts allocating the objects of some
 * allocation sites (object and array literals) directly in the old generation once enough of them
 * survive a young collection. A request's objects made there, once garbage, hold the young ones they
 * point to through every young collection until a full one: on the leads page of benchmark (d)
 * (Node 20) the promotion this fed was 2.1 MB of every ~13 MB allocated and a full collection every
 * ~70 requests; without it, none and one in ~600 (docs/architecture.md, "Memory"). Set before the
 * service's code runs; `node --allocation-site-pretenuring` cannot undo it, `QUALIFY_V8_PRETENURING=on` can.
 */
if (process.env.QUALIFY_V8_PRETENURING !== "on") v8.setFlagsFromString("--no-allocation-site-pretenuring");

/**
 * A GraphQL request's context: a service context (who calls, the database, the clock), plus the
 * loaders created for this request and the services the resolvers call.
 */
import type { ServiceContext } from "../context";
import type { Services } from "../services";
import type { Loaders } from "./loaders";

export interface RequestContext extends ServiceContext {
  loaders: Loaders;
  services: Services;
  /** The operation's cost, computed before it runs (`app/operation-cost.ts`; absent when it was not computed); each request's key is charged it (`app/rate-limits.ts`; 1 when absent). */
  operationCost?: number;
}

import type { Context } from "hono";
import { createDb } from "../../db";
import type { AppEnv } from "../../env";
import { Cache, type CacheContext } from "./cache";

export { Cache, type CacheContext } from "./cache";
export { cacheKey } from "./key";
export { deleteEntriesTagged, sharedStats } from "./entries";
export { invalidationStatement, invalidationStatementD1, TAG_RECHECK_MS } from "./tag-versions";
export { HIT_FLUSH_INTERVAL_MS } from "./usage";

/** The isolate's cache: every route and job shares it (and with it the LRU, tag versions and hit counts). */
export const cache = new Cache();

/** A request's databases, `waitUntil` and logger, for cache reads made by a route. */
export function cacheContext(c: Context<AppEnv>): CacheContext {
  return { db: c.var.db, primary: createDb(c.env.DB), waitUntil: (promise) => c.executionCtx.waitUntil(promise), logger: c.var.logger };
}

import { drizzle } from "drizzle-orm/d1";
import * as schema from "./schema";

export { schema };

/**
 * What a query needs from D1: the binding (`D1Database`) and a read-replication session
 * (`D1DatabaseSession`) both provide it, so code written against this runs over either.
 */
export type D1Queryable = Pick<D1Database, "prepare" | "batch">;

export function createDb(d1: D1Queryable) {
  // drizzle-orm's D1 driver types its client as D1Database but only ever calls prepare() and batch()
  // (drizzle-orm/d1/session.js), which a session has too.
  return drizzle(d1 as D1Database, { schema });
}

export type Database = ReturnType<typeof createDb>;

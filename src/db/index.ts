import { drizzle } from "drizzle-orm/d1";
import * as schema from "./schema";

export { schema };

/**
 * What a query needs from D1: the binding (`D1Database`) and a read-replication session
 * (`D1DatabaseSession`) both provide it, so code written against this runs over either.
 */
export type D1Queryable = Pick<D1Database, "prepare" | "batch">;

// drizzle-orm's D1 driver types its client as D1Database but only ever calls prepare() and batch()
// (drizzle-orm/d1/session.js), which a session has too.
const build = (d1: D1Queryable) => drizzle(d1 as D1Database, { schema });

export type Database = ReturnType<typeof build>;

const databases = new WeakMap<D1Queryable, Database>();

/**
 * The Drizzle database over a D1 binding or session, built once per object: building it walks the whole
 * schema (a measurable share of a small request's CPU), and it holds no per-request state. A
 * read-replication session is a new object per request, so with replication on nothing is reused.
 */
export function createDb(d1: D1Queryable): Database {
  let db = databases.get(d1);
  if (!db) {
    db = build(d1);
    databases.set(d1, db);
  }
  return db;
}

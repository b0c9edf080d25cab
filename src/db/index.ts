import { drizzle } from "drizzle-orm/d1";
import * as schema from "./schema";

export { schema };

const build = (d1: D1Database) => drizzle(d1, { schema });

export type Database = ReturnType<typeof build>;

const databases = new WeakMap<D1Database, Database>();

/**
 * The Drizzle database over a D1 binding, built once per binding: building it walks the whole schema
 * (a measurable share of a small request's CPU), and it holds no per-request state.
 */
export function createDb(d1: D1Database): Database {
  let db = databases.get(d1);
  if (!db) {
    db = build(d1);
    databases.set(d1, db);
  }
  return db;
}

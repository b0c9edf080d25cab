import { env } from "cloudflare:workers";
import { createDb } from "../../src/db";
import type { CacheContext } from "../../src/lib/cache";

/**
 * A cache context on the real D1 binding whose `waitUntil` work the test can await, and the SQL of
 * every statement prepared through it (the binding is wrapped only to record; every call reaches D1).
 */
export function cacheHarness() {
  const statements: string[] = [];
  const d1 = new Proxy(env.DB, {
    get(target, property) {
      if (property === "prepare") {
        return (query: string) => {
          statements.push(query.replace(/\s+/g, " ").trim());
          return target.prepare(query);
        };
      }
      const value = Reflect.get(target, property) as unknown;
      return typeof value === "function" ? value.bind(target) : value;
    },
  });
  const scheduled: Promise<unknown>[] = [];
  const ctx: CacheContext = { db: createDb(d1), waitUntil: (promise) => void scheduled.push(promise) };
  return {
    ctx,
    db: ctx.db,
    statements,
    /** Statements run so far whose SQL matches. */
    count: (pattern: RegExp) => statements.filter((sql) => pattern.test(sql)).length,
    /** Waits for everything handed to waitUntil so far (fills, hit-count flushes). */
    settle: async () => {
      while (scheduled.length > 0) await Promise.all(scheduled.splice(0));
    },
  };
}

let counter = 0;
/** A key (or tag) no other test of the file uses: storage is shared by every test of a file. */
export const unique = (label: string) => `${label}-${Date.now().toString(36)}-${++counter}`;

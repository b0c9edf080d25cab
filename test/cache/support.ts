import { env } from "cloudflare:workers";
import { expect } from "vitest";
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
  const db = createDb(d1);
  const ctx: CacheContext = { db, primary: db, waitUntil: (promise) => void scheduled.push(promise) };
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

/**
 * What a write made in ANOTHER isolate leaves behind: the data changed in D1 and the tag's version
 * moved, while this isolate's memory knows nothing of it.
 */
export async function writeElsewhere(tag: string, ...changes: D1PreparedStatement[]): Promise<void> {
  await env.DB.batch([
    ...changes,
    env.DB.prepare(
      "INSERT INTO cache_tags (tag, version, updated_at) VALUES (?, 1, 0) ON CONFLICT (tag) DO UPDATE SET version = version + 1",
    ).bind(tag),
  ]);
}

/** Headers that differ between any two requests (their id, the rate limit's remaining count). */
const PER_REQUEST_HEADERS = /^(x-request-id|proctor-request-id|ratelimit|x-ratelimit-remaining|x-ratelimit-reset|date)$/i;

/** Asserts two responses are the same to a client: status, body and headers (but the per-request ones). */
export async function expectSameResponse(first: Response, second: Response): Promise<void> {
  const stable = (res: Response) => [...res.headers].filter(([name]) => !PER_REQUEST_HEADERS.test(name));
  expect(second.status).toBe(first.status);
  expect(stable(second)).toEqual(stable(first));
  expect(await second.text()).toBe(await first.text());
}

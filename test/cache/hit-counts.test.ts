import { env } from "cloudflare:workers";
import { describe, expect, it } from "vitest";
import { Cache, HIT_FLUSH_INTERVAL_MS } from "../../src/lib/cache";
import { clock } from "../../src/lib/clock";
import { cacheHarness, unique } from "./support";

const OPTIONS = { ttlMs: 600_000, tags: [] };
const HIT_UPDATE = /^update "cache_entries" set "hit_count"/i;

async function counts(key: string) {
  return env.DB.prepare(
    "SELECT hit_count AS hits, miss_count AS misses, last_accessed_at AS lastAccessedAt FROM cache_entries WHERE key = ?",
  )
    .bind(key)
    .first<{ hits: number; misses: number; lastAccessedAt: number | null }>();
}

describe("hit counts", () => {
  it("are counted in the isolate and written in one statement per flush interval, never one per hit", async () => {
    const { ctx, settle, count } = cacheHarness();
    const cache = new Cache();
    const key = unique("hits");
    await cache.getOrSet(ctx, key, OPTIONS, async () => "v");
    await settle();
    expect(await counts(key)).toMatchObject({ hits: 0, misses: 1 });

    // The isolate's first hit finds no flush before it, so it flushes; the next 49 wait.
    for (let i = 0; i < 50; i++) await cache.getOrSet(ctx, key, OPTIONS, async () => "never");
    await settle();
    expect(count(HIT_UPDATE)).toBe(1);
    expect(await counts(key)).toMatchObject({ hits: 1 });
    expect(cache.stats().keysWithUnflushedHits).toBe(1);

    clock.advance(HIT_FLUSH_INTERVAL_MS);
    await cache.getOrSet(ctx, key, OPTIONS, async () => "never");
    await settle();
    expect(count(HIT_UPDATE)).toBe(2);
    const row = await counts(key);
    expect(row).toMatchObject({ hits: 51, misses: 1 });
    expect(row!.lastAccessedAt).toBeGreaterThanOrEqual(clock.now() - 1_000);
  });

  it("write every key's hits in the same statement", async () => {
    const { ctx, settle, count } = cacheHarness();
    const cache = new Cache();
    const keys = Array.from({ length: 30 }, () => unique("many"));
    for (const key of keys) await cache.getOrSet(ctx, key, OPTIONS, async () => key);
    await settle();
    const before = count(HIT_UPDATE);
    clock.advance(HIT_FLUSH_INTERVAL_MS);
    // Two hits per key; the flush comes with the first hit after the interval.
    for (const key of [...keys, ...keys]) await cache.getOrSet(ctx, key, OPTIONS, async () => "never");
    clock.advance(HIT_FLUSH_INTERVAL_MS);
    await cache.getOrSet(ctx, keys[0]!, OPTIONS, async () => "never");
    await settle();
    expect(count(HIT_UPDATE) - before).toBe(2);
    const total = await env.DB.prepare(`SELECT sum(hit_count) AS hits FROM cache_entries WHERE key IN (SELECT value FROM json_each(?))`)
      .bind(JSON.stringify(keys))
      .first<{ hits: number }>();
    expect(total!.hits).toBe(61);
  });

  it("keep counts whose write failed for the next flush", async () => {
    const { ctx, settle } = cacheHarness();
    const cache = new Cache();
    const key = unique("retry");
    await cache.getOrSet(ctx, key, OPTIONS, async () => "v");
    await settle();
    // The same database whose batch fails, as D1 does when it is unavailable.
    const down = new Proxy(ctx.db, {
      get: (target, property) => (property === "batch" ? () => Promise.reject(new Error("D1 is down")) : Reflect.get(target, property)),
    });
    const failures: Promise<unknown>[] = [];
    await cache.getOrSet({ db: down, primary: ctx.primary, waitUntil: (p) => void failures.push(p) }, key, OPTIONS, async () => "never");
    expect(await Promise.allSettled(failures)).toEqual([{ status: "fulfilled", value: undefined }]);
    clock.advance(HIT_FLUSH_INTERVAL_MS);
    await cache.getOrSet(ctx, key, OPTIONS, async () => "never");
    await settle();
    expect(await counts(key)).toMatchObject({ hits: 2 });
  });
});

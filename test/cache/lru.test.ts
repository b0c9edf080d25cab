import { env } from "cloudflare:workers";
import { describe, expect, it } from "vitest";
import { Cache } from "../../src/lib/cache";
import { Lru } from "../../src/lib/cache/lru";
import { cacheHarness, unique } from "./support";

const sized = (bytes: number) => ({ bytes });

describe("the LRU", () => {
  it("evicts the least recently used entry beyond its entry bound", () => {
    const lru = new Lru<{ bytes: number }>(3, 1_000);
    lru.set("a", sized(1));
    lru.set("b", sized(1));
    lru.set("c", sized(1));
    lru.get("a"); // a is now the most recently used; b the least
    lru.set("d", sized(1));
    expect(lru.get("b")).toBeUndefined();
    expect(["a", "c", "d"].map((key) => lru.get(key) !== undefined)).toEqual([true, true, true]);
    expect(lru.stats()).toMatchObject({ entries: 3, bytes: 3, evictions: 1 });
  });

  it("evicts by approximate bytes, as many entries as it takes", () => {
    const lru = new Lru<{ bytes: number }>(100, 100);
    lru.set("a", sized(40));
    lru.set("b", sized(40));
    lru.set("c", sized(10));
    lru.set("d", sized(80));
    expect(lru.get("a")).toBeUndefined();
    expect(lru.get("b")).toBeUndefined();
    expect(lru.stats()).toMatchObject({ entries: 2, bytes: 90, evictions: 2 });
  });

  it("refuses a value larger than the whole store and accounts replaced values once", () => {
    const lru = new Lru<{ bytes: number }>(10, 50);
    expect(lru.set("huge", sized(51))).toBe(false);
    lru.set("a", sized(20));
    lru.set("a", sized(30));
    expect(lru.stats()).toMatchObject({ entries: 1, bytes: 30, evictions: 0 });
    lru.deleteWhere((value) => value.bytes === 30);
    expect(lru.stats()).toMatchObject({ entries: 0, bytes: 0 });
  });
});

describe("the cache's isolate tier", () => {
  it("stays within its bounds and serves evicted entries from D1 without loading again", async () => {
    const { ctx, settle } = cacheHarness();
    const cache = new Cache({ maxEntries: 3, maxBytes: 10_000, maxEntryBytes: 1_000 });
    const keys = Array.from({ length: 5 }, () => unique("bounded"));
    let loads = 0;
    const load = (key: string) =>
      cache.getOrSet(ctx, key, { ttlMs: 60_000, tags: [] }, async () => {
        loads++;
        return { key };
      });
    for (const key of keys) await load(key);
    await settle();
    expect(cache.stats()).toMatchObject({ entries: 3, evictions: 2, misses: 5 });
    expect(await load(keys[0]!)).toEqual({ key: keys[0] });
    expect(loads).toBe(5);
    expect(cache.stats()).toMatchObject({ entries: 3, sharedHits: 1 });
  });

  it("bounds the isolate by approximate bytes", async () => {
    const { ctx } = cacheHarness();
    const cache = new Cache({ maxEntries: 100, maxBytes: 3_000, maxEntryBytes: 2_000 });
    for (let i = 0; i < 5; i++) await cache.getOrSet(ctx, unique("bytes"), { ttlMs: 60_000, tags: [] }, async () => "x".repeat(900));
    const stats = cache.stats();
    expect(stats.bytes).toBeLessThanOrEqual(3_000);
    expect(stats.entries).toBe(3);
  });

  it("returns a value too large to cache without storing it anywhere", async () => {
    const { ctx, settle } = cacheHarness();
    const cache = new Cache({ maxEntries: 100, maxBytes: 100_000, maxEntryBytes: 1_000 });
    const key = unique("oversize");
    let loads = 0;
    const big = "y".repeat(2_000);
    const load = async () => {
      loads++;
      return big;
    };
    for (let i = 0; i < 2; i++) expect(await cache.getOrSet(ctx, key, { ttlMs: 60_000, tags: [] }, load)).toBe(big);
    await settle();
    expect(loads).toBe(2);
    expect(cache.stats().entries).toBe(0);
    expect(await env.DB.prepare("SELECT key FROM cache_entries WHERE key = ?").bind(key).first()).toBeNull();
  });
});

import { env } from "cloudflare:workers";
import { sql } from "drizzle-orm";
import { describe, expect, it, vi } from "vitest";
import { clock } from "../../src/lib/clock";
import { Cache, invalidationStatement, TAG_RECHECK_MS } from "../../src/lib/cache";
import { cacheHarness, unique } from "./support";

const TTL = { ttlMs: 60_000 };

/** A loader over a value the test changes, counting its runs. */
function source<T>(initial: T) {
  const state = { value: initial, runs: 0 };
  const load = async () => {
    state.runs++;
    return state.value;
  };
  return { state, load };
}

describe("tag invalidation in the isolate that writes", () => {
  it("serves the new value at once after invalidateTags", async () => {
    const { ctx, db } = cacheHarness();
    const cache = new Cache();
    const tag = unique("tag");
    const key = unique("key");
    const data = source({ title: "before" });
    expect(await cache.getOrSet(ctx, key, { ...TTL, tags: [tag] }, data.load)).toEqual({ title: "before" });
    expect(await cache.getOrSet(ctx, key, { ...TTL, tags: [tag] }, data.load)).toEqual({ title: "before" });
    expect(data.state.runs).toBe(1);

    data.state.value = { title: "after" };
    await cache.invalidateTags(db, [tag]);
    expect(await cache.getOrSet(ctx, key, { ...TTL, tags: [tag] }, data.load)).toEqual({ title: "after" });
    expect(data.state.runs).toBe(2);
  });

  it("bumps in the caller's own batch, applied here once the batch committed", async () => {
    const { ctx, db, settle } = cacheHarness();
    const cache = new Cache();
    const [tag, other] = [unique("tag"), unique("other")];
    const data = source(1);
    await cache.getOrSet(ctx, "batched", { ...TTL, tags: [tag, other] }, data.load);
    data.state.value = 2;
    const [, bumped] = await db.batch([db.run(sql`SELECT 1`), invalidationStatement(db, [tag])]);
    expect(bumped).toEqual([{ tag }]);
    cache.tagsInvalidated(bumped);
    expect(await cache.getOrSet(ctx, "batched", { ...TTL, tags: [tag, other] }, data.load)).toBe(2);
    await settle();
    const row = await env.DB.prepare("SELECT version FROM cache_tags WHERE tag = ?").bind(tag).first();
    expect(row).toEqual({ version: 1 });
  });

  it("lets the database choose tags at commit time and returns every tag it bumped", async () => {
    const { db } = cacheHarness();
    const stem = unique("selected");
    const rows = await invalidationStatement(
      db,
      [`${stem}:listed`],
      sql`SELECT ${stem} || ':' || value AS tag FROM json_each(${JSON.stringify(["a", "b", "a"])})`,
    );
    expect(rows.map((row) => row.tag).sort()).toEqual([`${stem}:a`, `${stem}:b`, `${stem}:listed`]);
    // A second bump moves each version on by one.
    await invalidationStatement(db, [`${stem}:a`]);
    const versions = await env.DB.prepare("SELECT tag, version FROM cache_tags WHERE tag LIKE ? ORDER BY tag").bind(`${stem}:%`).all();
    expect(versions.results).toEqual([
      { tag: `${stem}:a`, version: 2 },
      { tag: `${stem}:b`, version: 1 },
      { tag: `${stem}:listed`, version: 1 },
    ]);
  });

  it("does not let a later caller join a load that started before the write", async () => {
    const { ctx, db } = cacheHarness();
    const cache = new Cache();
    const tag = unique("tag");
    let release!: () => void;
    const gate = new Promise<void>((resolve) => (release = resolve));
    let loading = false;
    const early = cache.getOrSet(ctx, "in-flight", { ...TTL, tags: [tag] }, async () => {
      loading = true;
      await gate;
      return "old";
    });
    await vi.waitUntil(() => loading);
    await cache.invalidateTags(db, [tag]);
    const late = cache.getOrSet(ctx, "in-flight", { ...TTL, tags: [tag] }, async () => "new");
    expect(await late).toBe("new");
    release();
    expect(await early).toBe("old");
    // The early load was labelled with the old version: it is never served after the write.
    expect(await cache.getOrSet(ctx, "in-flight", { ...TTL, tags: [tag] }, async () => "newer")).toBe("new");
  });
});

describe("tag invalidation across isolates", () => {
  it(`serves a stale value elsewhere for at most TAG_RECHECK_MS (${TAG_RECHECK_MS} ms)`, async () => {
    const writer = cacheHarness();
    const reader = cacheHarness();
    const [writerCache, readerCache] = [new Cache(), new Cache()];
    const tag = unique("tag");
    const key = unique("key");
    const data = source("v1");
    const options = { ...TTL, tags: [tag] };
    expect(await writerCache.getOrSet(writer.ctx, key, options, data.load)).toBe("v1");
    await writer.settle();
    // The second isolate finds the row the first one wrote: no load of its own.
    expect(await readerCache.getOrSet(reader.ctx, key, options, data.load)).toBe("v1");
    expect(data.state.runs).toBe(1);
    expect(readerCache.stats().sharedHits).toBe(1);

    data.state.value = "v2";
    await writerCache.invalidateTags(writer.db, [tag]);
    expect(await writerCache.getOrSet(writer.ctx, key, options, data.load)).toBe("v2");

    // The reader trusted its copy of the tag when it read it; within the bound it still serves v1…
    clock.advance(TAG_RECHECK_MS - 1_000);
    expect(await readerCache.getOrSet(reader.ctx, key, options, data.load)).toBe("v1");
    // …and once the bound has passed since that read, it checks D1 again and never serves v1 after.
    clock.advance(1_000);
    expect(await readerCache.getOrSet(reader.ctx, key, options, data.load)).toBe("v2");
    expect(await readerCache.getOrSet(reader.ctx, key, options, data.load)).toBe("v2");
  });

  it("sees a version bumped directly in D1 by another isolate within the bound", async () => {
    const { ctx } = cacheHarness();
    const cache = new Cache();
    const tag = unique("tag");
    const data = source("v1");
    const options = { ...TTL, tags: [tag] };
    await cache.getOrSet(ctx, "direct", options, data.load);
    // A hit checks the tag against D1 and starts the isolate's trust in its copy.
    await cache.getOrSet(ctx, "direct", options, data.load);
    data.state.value = "v2";
    await env.DB.prepare("INSERT INTO cache_tags (tag, version, updated_at) VALUES (?, 7, 0)").bind(tag).run();
    expect(await cache.getOrSet(ctx, "direct", options, data.load)).toBe("v1");
    clock.advance(TAG_RECHECK_MS);
    expect(await cache.getOrSet(ctx, "direct", options, data.load)).toBe("v2");
  });

  it("re-reads a tag at once when D1 holds an entry labelled with a newer version than it knows", async () => {
    const writer = cacheHarness();
    const reader = cacheHarness();
    const [writerCache, readerCache] = [new Cache(), new Cache()];
    const tag = unique("tag");
    const options = { ...TTL, tags: [tag] };
    // The reader learns the tag's version through a hit on another key.
    const other = unique("other");
    await readerCache.getOrSet(reader.ctx, other, options, async () => "x");
    await readerCache.getOrSet(reader.ctx, other, options, async () => "x");
    await writerCache.invalidateTags(writer.db, [tag]);
    await writerCache.getOrSet(writer.ctx, "labelled", options, async () => "fresh");
    await writer.settle();
    const load = vi.fn(async () => "loaded again");
    expect(await readerCache.getOrSet(reader.ctx, "labelled", options, load)).toBe("fresh");
    expect(load).not.toHaveBeenCalled();
  });
});

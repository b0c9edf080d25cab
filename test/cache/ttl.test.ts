import { env } from "cloudflare:workers";
import { describe, expect, it } from "vitest";
import { Cache } from "../../src/lib/cache";
import { clock } from "../../src/lib/clock";
import { Logger } from "../../src/lib/logger";
import { purgeExpiredCache } from "../../workers/tasks/purge-expired-cache";
import { cacheHarness, unique } from "./support";

describe("time to live", () => {
  it("expires an entry in the isolate", async () => {
    const { ctx } = cacheHarness();
    const cache = new Cache();
    const key = unique("ttl");
    let loads = 0;
    const load = () => cache.getOrSet(ctx, key, { ttlMs: 2_000, tags: [] }, async () => ++loads);
    expect(await load()).toBe(1);
    clock.advance(1_500);
    expect(await load()).toBe(1);
    clock.advance(600);
    expect(await load()).toBe(2);
  });

  it("expires the shared row: another isolate neither serves it nor keeps it past its expiry", async () => {
    const writer = cacheHarness();
    const reader = cacheHarness();
    const key = unique("ttl-shared");
    await new Cache().getOrSet(writer.ctx, key, { ttlMs: 2_000, tags: [] }, async () => "first");
    await writer.settle();
    const readerCache = new Cache();
    expect(await readerCache.get(reader.ctx, key)).toBe("first");
    clock.advance(2_001);
    expect(await readerCache.get(reader.ctx, key)).toBeUndefined();
    expect(await new Cache().get(reader.ctx, key)).toBeUndefined();
  });

  it("is required to be stored: set writes the row with its expiry", async () => {
    const { db } = cacheHarness();
    const key = unique("set");
    const before = clock.now();
    await new Cache().set(db, key, { a: 1 }, { ttlMs: 30_000, tags: ["t:1"] });
    const row = await env.DB.prepare("SELECT value, tags, expires_at AS expiresAt, miss_count AS misses FROM cache_entries WHERE key = ?")
      .bind(key)
      .first<Record<string, unknown>>();
    expect(row).toMatchObject({ value: '{"a":1}', tags: '["t:1"]', misses: 0 });
    expect(row!.expiresAt).toBeGreaterThanOrEqual(before + 30_000);
  });

  it("leaves expired rows to the purge cron task, which deletes only those", async () => {
    const { ctx, settle } = cacheHarness();
    const cache = new Cache();
    const [short, long] = [unique("short"), unique("long")];
    await cache.getOrSet(ctx, short, { ttlMs: 1_000, tags: [] }, async () => 1);
    await cache.getOrSet(ctx, long, { ttlMs: 600_000, tags: [] }, async () => 2);
    await settle();
    clock.advance(5_000);
    const outcome = await purgeExpiredCache.run({ env, db: ctx.db, logger: new Logger({}, "error"), now: clock.now() });
    expect(outcome).toMatchObject({ deleted: expect.any(Number) });
    const keys = await env.DB.prepare("SELECT key FROM cache_entries WHERE key IN (?, ?)").bind(short, long).all<{ key: string }>();
    expect(keys.results.map((row) => row.key)).toEqual([long]);
  });
});

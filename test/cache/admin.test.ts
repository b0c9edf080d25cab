import { env } from "cloudflare:workers";
import { beforeAll, describe, expect, it } from "vitest";
import { cache, HIT_FLUSH_INTERVAL_MS } from "../../src/lib/cache";
import { clock } from "../../src/lib/clock";
import { call, problemOf } from "../helpers/http";
import { createCast, get, json, type Cast } from "../exam/fixtures";
import { cacheHarness, unique } from "./support";

let cast: Cast;

beforeAll(async () => {
  cast = await createCast();
});

const drop = (tag: string, headers: Record<string, string> = cast.admin.headers) =>
  call(`/v1/admin/cache?tag=${encodeURIComponent(tag)}`, { method: "DELETE", headers });

describe("GET /v1/admin/cache", () => {
  it("reports what D1 holds (entries, size, hit ratio, most hit keys) and this isolate's LRU", async () => {
    const { ctx, settle } = cacheHarness();
    const key = unique("admin-top");
    const options = { ttlMs: 600_000, tags: ["admin-report"] };
    const load = async () => ({ text: "z".repeat(100) });
    for (let i = 0; i < 300; i++) await cache.getOrSet(ctx, key, options, load);
    clock.advance(HIT_FLUSH_INTERVAL_MS);
    await cache.getOrSet(ctx, key, options, load);
    await settle();

    const res = await get("/v1/admin/cache", cast.admin.headers);
    expect(res.status).toBe(200);
    expect(res.headers.get("Cache-Control")).toBe("no-store");
    const body = await json(res);
    expect(body.shared.topEntries[0]).toEqual({
      key,
      tags: ["admin-report"],
      hits: 300,
      misses: 1,
      approximateBytes: key.length + JSON.stringify({ text: "z".repeat(100) }).length,
      lastAccessedAt: expect.any(String),
      expiresAt: expect.any(String),
      createdAt: expect.any(String),
    });
    expect(body.shared.entries).toBeGreaterThanOrEqual(1);
    expect(body.shared.hits).toBeGreaterThanOrEqual(300);
    expect(body.shared.hitRatio).toBeGreaterThan(0.5);
    expect(body.shared.approximateBytes).toBeGreaterThanOrEqual(body.shared.topEntries[0].approximateBytes);
    expect(body.isolate).toMatchObject({ maxEntries: expect.any(Number), maxBytes: expect.any(Number), tagRecheckMs: 5_000 });
    expect(body.isolate.entries).toBeGreaterThanOrEqual(1);
    expect(body.isolate.memoryHits).toBeGreaterThanOrEqual(300);
  });

  it("is for admins only", async () => {
    expect((await call("/v1/admin/cache")).status).toBe(401);
    for (const who of [cast.student, cast.instructor]) {
      const res = await get("/v1/admin/cache", who.headers);
      expect(res.status).toBe(403);
      expect(await problemOf(res)).toMatchObject({ code: "insufficient_scope", scope: "admin:read" });
    }
  });
});

describe("DELETE /v1/admin/cache?tag=", () => {
  it("drops every entry with the tag, here at once and in D1, and audits it in the same batch", async () => {
    const { ctx, settle } = cacheHarness();
    const tag = unique("admin-drop");
    const [tagged, alsoTagged, untouched] = [unique("tagged"), unique("tagged"), unique("other")];
    await cache.getOrSet(ctx, tagged, { ttlMs: 600_000, tags: [tag] }, async () => 1);
    await cache.getOrSet(ctx, alsoTagged, { ttlMs: 600_000, tags: ["unrelated", tag] }, async () => 2);
    await cache.getOrSet(ctx, untouched, { ttlMs: 600_000, tags: ["unrelated"] }, async () => 3);
    await settle();

    const res = await drop(tag);
    expect(res.status).toBe(200);
    expect(await res.json()).toEqual({ tag, deletedEntries: 2 });
    expect(await cache.get(ctx, tagged)).toBeUndefined();
    expect(await cache.get(ctx, alsoTagged)).toBeUndefined();
    expect(await cache.get(ctx, untouched)).toBe(3);
    const keys = await env.DB.prepare("SELECT key FROM cache_entries WHERE key IN (?, ?, ?)")
      .bind(tagged, alsoTagged, untouched)
      .all<{ key: string }>();
    expect(keys.results).toEqual([{ key: untouched }]);
    const audit = await env.DB.prepare("SELECT action, actor_id, target_type, target_id FROM audit_logs WHERE target_id = ?")
      .bind(tag)
      .all();
    expect(audit.results).toEqual([
      { action: "cache.invalidated", actor_id: cast.admin.user.id, target_type: "cache_tag", target_id: tag },
    ]);
  });

  it("refuses students, instructors and anonymous callers, changing nothing", async () => {
    const tag = unique("refused");
    expect((await drop(tag, {})).status).toBe(401);
    for (const who of [cast.student, cast.instructor]) {
      const res = await drop(tag, who.headers);
      expect(res.status).toBe(403);
      expect(await problemOf(res)).toMatchObject({ code: "insufficient_scope", scope: "admin:write" });
    }
    expect(await env.DB.prepare("SELECT tag FROM cache_tags WHERE tag = ?").bind(tag).first()).toBeNull();
    expect(await env.DB.prepare("SELECT id FROM audit_logs WHERE target_id = ?").bind(tag).first()).toBeNull();
  });

  it("answers validation_failed for a missing, empty, malformed or oversized tag and for unknown parameters", async () => {
    const cases = [
      "/v1/admin/cache",
      "/v1/admin/cache?tag=",
      "/v1/admin/cache?tag=has%20space",
      "/v1/admin/cache?tag=%27%3B%20DROP%20TABLE%20cache_entries",
      `/v1/admin/cache?tag=${"x".repeat(201)}`,
      "/v1/admin/cache?tag=ok&all=true",
    ];
    for (const path of cases) {
      const res = await call(path, { method: "DELETE", headers: cast.admin.headers });
      expect(res.status, path).toBe(400);
      const problem = await problemOf(res);
      expect(problem.code).toBe("validation_failed");
      expect(problem.errors!.length).toBeGreaterThan(0);
      expect(JSON.stringify(problem)).not.toMatch(/sqlite|SQL|stack/i);
    }
  });
});

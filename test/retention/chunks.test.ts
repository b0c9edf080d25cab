import { env } from "cloudflare:workers";
import { describe, expect, it } from "vitest";
import { deleteInChunks, type DeleteTarget } from "../../src/db/delete-in-chunks";
import { cacheEntries } from "../../src/db/schema";
import { AUDIT_PERIOD_ROWS } from "../../src/lib/audit/retention";
import { clock } from "../../src/lib/clock";
import { HOURLY_ROLLUPS, RAW_POINTS } from "../../src/lib/metrics/rollup";
import { EXPIRED_CACHE_ENTRIES } from "../../workers/tasks/purge-expired-cache";
import { DEAD_SESSIONS } from "../../workers/tasks/purge-expired-sessions";
import { RESOLVED_ERRORS, STALE_ERRORS } from "../../workers/tasks/prune-error-logs";
import { FINISHED_JOBS } from "../../workers/tasks/prune-finished-jobs";
import { PROCESSED_EVENTS } from "../../workers/tasks/prune-processed-events";
import { OLD_RATE_LIMIT_LOGS } from "../../workers/tasks/prune-rate-limit-logs";
import { db, surviving } from "./support";

describe("deleteInChunks", () => {
  it("deletes at most chunk × maxChunks rows per call and says whether it finished", async () => {
    const now = clock.now();
    const keys = Array.from({ length: 7 }, (_, i) => `chunks:${i}:${crypto.randomUUID()}`);
    await db.insert(cacheEntries).values(keys.map((key) => ({ key, value: "1", expiresAt: now - 1000, createdAt: now })));
    const target: DeleteTarget = { table: "cache_entries", where: "key LIKE 'chunks:%' AND expires_at < ?" };

    expect(await deleteInChunks(env.DB, target, [now], { chunk: 3, maxChunks: 2 })).toEqual({ deleted: 6, complete: false });
    expect(await surviving("cache_entries", "key", keys)).toHaveLength(1);
    expect(await deleteInChunks(env.DB, target, [now], { chunk: 3, maxChunks: 2 })).toEqual({ deleted: 1, complete: true });
    expect(await deleteInChunks(env.DB, target, [now], { chunk: 3, maxChunks: 2 })).toEqual({ deleted: 0, complete: true });
    expect(await surviving("cache_entries", "key", keys)).toEqual([]);
  });

  it("never deletes what the condition does not match", async () => {
    const now = clock.now();
    const live = `chunks-live:${crypto.randomUUID()}`;
    await db.insert(cacheEntries).values({ key: live, value: "1", expiresAt: now + 60_000, createdAt: now });
    await deleteInChunks(env.DB, { table: "cache_entries", where: "key LIKE 'chunks-live:%' AND expires_at < ?" }, [now], { chunk: 1 });
    expect(await surviving("cache_entries", "key", [live])).toEqual([live]);
  });
});

/** How many values a WHERE clause binds (`?1` … `?n` plus any bare `?`, which continue the numbering). */
function placeholders(where: string): number {
  const numbered = [...where.matchAll(/\?(\d+)/g)].map((match) => Number(match[1]));
  return Math.max(0, ...numbered) + (where.match(/\?(?!\d)/g) ?? []).length;
}

describe("every retention delete is index-driven", () => {
  const targets: Record<string, DeleteTarget> = {
    DEAD_SESSIONS,
    EXPIRED_CACHE_ENTRIES,
    OLD_RATE_LIMIT_LOGS,
    RESOLVED_ERRORS,
    STALE_ERRORS,
    FINISHED_JOBS,
    PROCESSED_EVENTS,
    RAW_POINTS,
    HOURLY_ROLLUPS,
    AUDIT_PERIOD_ROWS,
  };
  for (const [name, target] of Object.entries(targets)) {
    it(`${name} (${target.table}) searches an index, never scans the table`, async () => {
      const params = Array.from({ length: placeholders(target.where) + 1 }, () => 0);
      const { results } = await env.DB.prepare(`EXPLAIN QUERY PLAN SELECT rowid FROM ${target.table} WHERE ${target.where} LIMIT ?`)
        .bind(...params)
        .all<{ detail: string }>();
      const plan = results.map((row) => row.detail);
      expect(
        plan.some((step) => /USING (COVERING )?INDEX|MULTI-INDEX OR/.test(step)),
        plan.join(" | "),
      ).toBe(true);
      expect(
        plan.filter((step) => step.startsWith(`SCAN ${target.table}`)),
        plan.join(" | "),
      ).toEqual([]);
    });
  }
});

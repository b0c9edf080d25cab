import { Hono } from "hono";
import { z } from "zod";
import { auditInsert } from "../lib/audit/writer";
import { cache, deleteEntriesTagged, invalidationStatement, sharedStats } from "../lib/cache";
import { clock, iso, isoOrNull } from "../lib/clock";
import { validate } from "../lib/validation/validate";
import { requireScope } from "../middleware/auth";
import { rateLimit } from "../middleware/rate-limit";
import { cacheEntries } from "../db/schema";
import type { AppEnv } from "../env";
import { operationsOf } from "../openapi/describe";
import { cacheInvalidatedSchema, cacheStatsSchema } from "../openapi/schemas/cache";

const tagQuery = z.strictObject({
  tag: z
    .string()
    .trim()
    .min(1)
    .max(200)
    .regex(/^[A-Za-z0-9_.:*-]+$/, "A tag is letters, digits and _ . : * - (e.g. test:tst_…)"),
});

const describe = operationsOf("Admin: cache");

/** The cache for operators: what D1 holds across isolates, this isolate's LRU, and dropping a tag. */
export const adminCacheRoutes = new Hono<AppEnv>()
  .use("*", rateLimit({ policy: "api" }))

  .get(
    "/",
    describe({ summary: "Cache statistics", responses: { 200: ["Shared and isolate statistics", cacheStatsSchema] } }),
    requireScope("admin:read"),
    async (c) => {
      const shared = await sharedStats(c.var.db, clock.now());
      c.header("Cache-Control", "no-store");
      return c.json({
        shared: {
          ...shared,
          topEntries: shared.topEntries.map((entry) => ({
            ...entry,
            lastAccessedAt: isoOrNull(entry.lastAccessedAt),
            expiresAt: isoOrNull(entry.expiresAt),
            createdAt: iso(entry.createdAt),
          })),
        },
        isolate: cache.stats(),
      });
    },
  )

  .delete(
    "/",
    describe({ summary: "Invalidate a cache tag", responses: { 200: ["What was dropped", cacheInvalidatedSchema] } }),
    requireScope("admin:write"),
    validate("query", tagQuery),
    async (c) => {
      const { tag } = c.req.valid("query");
      const db = c.var.db;
      // Bumping the tag retires the entries every isolate holds (within the recheck bound); deleting the rows frees D1 now.
      const [bumped, deleted] = await db.batch([
        invalidationStatement(db, [tag]),
        deleteEntriesTagged(db, tag).returning({ key: cacheEntries.key }),
        auditInsert(c, { action: "cache.invalidated", target: { type: "cache_tag", id: tag } }),
      ]);
      cache.tagsInvalidated(bumped);
      return c.json({ tag, deletedEntries: deleted.length });
    },
  );

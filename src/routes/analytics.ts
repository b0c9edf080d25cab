import { Hono } from "hono";
import { z } from "zod";
import type { AppEnv } from "../env";
import { testAnalytics } from "../lib/analytics/test-analytics";
import { cache, cacheContext, cacheKey } from "../lib/cache";
import { ApiError } from "../lib/errors";
import { canManage } from "../lib/exam/access";
import { analyticsTag, EXAM_CACHE_TTL_MS, testTag } from "../lib/exam/cache-keys";
import { testView } from "../lib/exam/tests";
import { validate } from "../lib/validation/validate";
import { authOf, requireScope } from "../middleware/auth";
import { operationsOf } from "../openapi/describe";
import { testAnalyticsSchema } from "../openapi/schemas/analytics";

const testParam = z.object({ id: z.string().min(1).max(64) });

const describe = operationsOf("Analytics");

/**
 * Aggregates of a test's scored attempts, for its instructor and admins (404 to everyone else).
 * Mounted at /v1/tests, after the tests group, whose rate limit covers it.
 */
export const analyticsRoutes = new Hono<AppEnv>().get(
  "/:id/analytics",
  describe({
    summary: "A test's analytics (its managers)",
    responses: { 200: ["Score distribution and per-question statistics", testAnalyticsSchema] },
    errors: ["not_found"],
  }),
  requireScope("analytics:read"),
  validate("param", testParam),
  async (c) => {
    const auth = authOf(c);
    const ctx = cacheContext(c);
    const test = await testView(ctx, c.req.valid("param").id);
    if (!canManage(auth, test.authorId)) throw ApiError.notFound("test");
    // The same figures for every manager of the test: cached once per test, after the access check.
    const options = { ttlMs: EXAM_CACHE_TTL_MS, tags: [testTag(test.id), analyticsTag(test.id)] };
    return c.json(await cache.getOrSet(ctx, cacheKey("analytics", { testId: test.id }), options, () => testAnalytics(ctx.db, test)));
  },
);

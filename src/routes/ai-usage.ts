import { and, eq, gte, lt, sql } from "drizzle-orm";
import { Hono } from "hono";
import { z } from "zod";
import { aiUsage, users } from "../db/schema";
import type { AppEnv } from "../env";
import { aiAllowance, monthOf } from "../lib/ai/allowance";
import { clock, iso } from "../lib/clock";
import { ApiError } from "../lib/errors";
import { caller } from "../lib/exam/access";
import { aiUsageQuery } from "../lib/validation/ai";
import { validate } from "../lib/validation/validate";
import { requireRole, requireScope } from "../middleware/auth";
import { rateLimit } from "../middleware/rate-limit";
import { operationsOf } from "../openapi/describe";

const totals = {
  requests: sql<number>`count(*)`,
  promptTokens: sql<number>`coalesce(sum(${aiUsage.promptTokens}), 0)`,
  completionTokens: sql<number>`coalesce(sum(${aiUsage.completionTokens}), 0)`,
  costUsd: sql<number>`round(coalesce(sum(${aiUsage.costUsd}), 0), 6)`,
};

const totalsSchema = z.object({
  requests: z.number().int(),
  promptTokens: z.number().int(),
  completionTokens: z.number().int(),
  costUsd: z.number(),
});
const myUsageSchema = z
  .object({
    month: z.object({ start: z.iso.datetime(), resetsAt: z.iso.datetime() }),
    allowance: z.object({
      usedTokens: z.number().int(),
      limitTokens: z.number().int().nullable().meta({ description: "null: no limit" }),
      source: z.enum(["admin", "plan", "free"]),
    }),
    byFeature: z.array(totalsSchema.extend({ feature: z.string() })),
  })
  .meta({ id: "MyAiUsage" });
const adminUsageSchema = z
  .object({
    from: z.iso.datetime(),
    to: z.iso.datetime(),
    total: totalsSchema,
    byFeature: z.array(totalsSchema.extend({ feature: z.string() })),
    byUser: z.array(totalsSchema.extend({ userId: z.string().nullable(), email: z.string().nullable() })),
  })
  .meta({ id: "AiUsageReport" });

/** The period of a usage report: this month unless `from`/`to` say otherwise, at most a year. */
function period(query: { from?: string; to?: string }, now: number): { from: number; to: number } {
  const month = monthOf(now);
  const from = query.from ? Date.parse(query.from) : month.start;
  const to = query.to ? Date.parse(query.to) : Math.max(now, month.next);
  if (from >= to) throw ApiError.validation([{ path: "to", message: "`to` must be after `from`" }]);
  if (to - from > 366 * 24 * 3_600_000) throw ApiError.validation([{ path: "from", message: "At most a year at a time" }]);
  return { from, to };
}

/** `GET /v1/me/ai-usage`: this month's tokens, allowance and cost by feature. Mounted under /v1/me, whose rate limit covers it. */
export const myAiUsageRoutes = new Hono<AppEnv>().get(
  "/",
  operationsOf("AI")({ summary: "Your AI usage and allowance this month", responses: { 200: ["Usage and allowance", myUsageSchema] } }),
  requireScope("ai:use"),
  async (c) => {
    const auth = caller(c);
    const now = clock.now();
    const allowance = await aiAllowance(c.var.db, { id: auth.userId, role: auth.role }, c.var.config.aiFreeMonthlyTokens, now);
    const byFeature = await c.var.db
      .select({ feature: aiUsage.feature, ...totals })
      .from(aiUsage)
      .where(and(eq(aiUsage.userId, auth.userId), gte(aiUsage.createdAt, allowance.monthStart)))
      .groupBy(aiUsage.feature);
    return c.json({
      month: { start: iso(allowance.monthStart), resetsAt: iso(allowance.resetsAt) },
      allowance: { usedTokens: allowance.used, limitTokens: allowance.limit, source: allowance.source },
      byFeature,
    });
  },
);

/** `GET /v1/admin/ai-usage`: calls, tokens and estimated cost over a period, by feature and by user. */
export const adminAiUsageRoutes = new Hono<AppEnv>().get(
  "/",
  operationsOf("Admin: AI")({ summary: "AI usage by feature and by user", responses: { 200: ["The report", adminUsageSchema] } }),
  rateLimit({ policy: "api" }),
  requireScope("admin:read"),
  requireRole("admin"),
  validate("query", aiUsageQuery),
  async (c) => {
    const { from, to } = period(c.req.valid("query"), clock.now());
    const db = c.var.db;
    const inPeriod = and(gte(aiUsage.createdAt, from), lt(aiUsage.createdAt, to));
    const [[total], byFeature, byUser] = await db.batch([
      db.select(totals).from(aiUsage).where(inPeriod),
      db
        .select({ feature: aiUsage.feature, ...totals })
        .from(aiUsage)
        .where(inPeriod)
        .groupBy(aiUsage.feature),
      db
        .select({ userId: aiUsage.userId, email: users.email, ...totals })
        .from(aiUsage)
        .leftJoin(users, eq(users.id, aiUsage.userId))
        .where(inPeriod)
        .groupBy(aiUsage.userId)
        .orderBy(sql`sum(${aiUsage.promptTokens} + ${aiUsage.completionTokens}) desc`)
        .limit(100),
    ]);
    return c.json({ from: iso(from), to: iso(to), total, byFeature, byUser });
  },
);

import { and, desc, eq, gt, gte, isNotNull, isNull, lt, lte, type SQL } from "drizzle-orm";
import { Hono } from "hono";
import { z } from "zod";
import { RATE_LIMIT_KEY_KINDS, rateLimitLogs, type RateLimitLog } from "../db/schema";
import { auditInsert } from "../lib/audit/writer";
import { clock, iso, isoOrNull } from "../lib/clock";
import { ApiError } from "../lib/errors";
import { blockCache, RATE_LIMIT_POLICIES, rateLimitBackend, type BlockState } from "../lib/security/rate-limit";
import { decodeCursor, idCursor, paginationQuery, toPage } from "../lib/validation/pagination";
import { validate } from "../lib/validation/validate";
import { requireScope } from "../middleware/auth";
import { rateLimit } from "../middleware/rate-limit";
import type { AppEnv } from "../env";
import { operationsOf } from "../openapi/describe";
import { page } from "../openapi/schemas/primitives";
import { rateLimitBlockSchema, rateLimitLogSchema, unblockedSchema } from "../openapi/schemas/rate-limit";

const instant = z.iso.datetime({ offset: true }).transform((value) => Date.parse(value));
const keyText = z.string().min(3).max(320);

const blocksQuery = paginationQuery.extend({
  policy: z.enum(RATE_LIMIT_POLICIES).optional(),
  keyKind: z.enum(RATE_LIMIT_KEY_KINDS).optional(),
});

const logsQuery = paginationQuery.extend({
  policy: z.enum(RATE_LIMIT_POLICIES).optional(),
  keyKind: z.enum(RATE_LIMIT_KEY_KINDS).optional(),
  key: keyText.optional(),
  /** `true`: only windows that ended in a block; `false`: only plain breaches. */
  blocked: z.enum(["true", "false"]).optional(),
  from: instant.optional(),
  to: instant.optional(),
});

const blockParam = z.object({ policy: z.enum(RATE_LIMIT_POLICIES), key: keyText });

function presentLog(row: RateLimitLog) {
  return {
    id: row.id,
    policy: row.policy,
    keyKind: row.keyKind,
    key: row.key,
    windowStart: iso(row.windowStart),
    windowSeconds: row.windowSeconds,
    breaches: row.count,
    limit: row.limit,
    blockedUntil: isoOrNull(row.blockedUntil),
    blockLevel: row.blockLevel,
    createdAt: iso(row.createdAt),
    updatedAt: iso(row.updatedAt),
  };
}

function presentBlock(row: RateLimitLog) {
  return {
    policy: row.policy,
    keyKind: row.keyKind,
    key: row.key,
    blockedUntil: iso(row.blockedUntil!),
    level: row.blockLevel,
    blockedAt: iso(row.updatedAt),
    breachesInWindow: row.count,
    logId: row.id,
  };
}

const describe = operationsOf("Admin: rate limits");

/**
 * Operators' view of rate limiting: blocks in force (from RateLimitLog, since Durable Objects cannot
 * be enumerated), unblocking a key (in the limiter itself, then the log, audited), and the breach log.
 */
export const adminRateLimitRoutes = new Hono<AppEnv>()
  .get(
    "/blocks",
    describe({ summary: "Blocks in force", responses: { 200: ["A page of blocks", page(rateLimitBlockSchema)] } }),
    rateLimit({ policy: "api" }),
    requireScope("admin:read"),
    validate("query", blocksQuery),
    async (c) => {
      const { limit, cursor, policy, keyKind } = c.req.valid("query");
      const conditions: SQL[] = [gt(rateLimitLogs.blockedUntil, clock.now())];
      if (policy) conditions.push(eq(rateLimitLogs.policy, policy));
      if (keyKind) conditions.push(eq(rateLimitLogs.keyKind, keyKind));
      if (cursor) conditions.push(lt(rateLimitLogs.id, decodeCursor(cursor, idCursor).id));
      const rows = await c.var.db
        .select()
        .from(rateLimitLogs)
        .where(and(...conditions))
        .orderBy(desc(rateLimitLogs.id))
        .limit(limit + 1);
      c.header("Cache-Control", "no-store");
      return c.json(toPage(rows, limit, (row) => ({ id: row.id }), presentBlock));
    },
  )

  .delete(
    "/blocks/:policy/:key",
    describe({
      summary: "Lift a block",
      responses: { 200: ["The lifted block", unblockedSchema] },
      errors: ["not_found", "service_unavailable"],
    }),
    rateLimit({ policy: "api" }),
    requireScope("admin:write"),
    validate("param", blockParam),
    async (c) => {
      const { policy, key } = c.req.valid("param");
      const now = clock.now();
      let lifted: BlockState;
      try {
        lifted = await rateLimitBackend(c.env, c.var.config.rateLimit).unblock(policy, key, now);
      } catch (error) {
        c.var.logger.error("unblock failed", { policy, error: String(error) });
        throw new ApiError("service_unavailable", "The rate limiter could not be reached; the key is unchanged. Try again shortly.");
      }
      blockCache.delete(policy, key);

      const active = and(eq(rateLimitLogs.policy, policy), eq(rateLimitLogs.key, key), gt(rateLimitLogs.blockedUntil, now));
      const [logged] = await c.var.db.select().from(rateLimitLogs).where(active).orderBy(desc(rateLimitLogs.blockedUntil)).limit(1);
      const blockedUntil = lifted.blockedUntil ?? logged?.blockedUntil ?? null;
      if (blockedUntil === null) throw ApiError.notFound("block");

      const level = lifted.blockedUntil !== null ? lifted.level : (logged?.blockLevel ?? 0);
      await c.var.db.batch([
        c.var.db.update(rateLimitLogs).set({ blockedUntil: now, updatedAt: now }).where(active),
        auditInsert(c, {
          action: "rate_limit.unblocked",
          target: { type: "rate_limit_block", id: `${policy}:${key}` },
          before: { blockedUntil: iso(blockedUntil), level },
          after: { blockedUntil: null, level: 0 },
          metadata: { policy, key },
        }),
      ]);
      return c.json({ unblocked: { policy, key, blockedUntil: iso(blockedUntil), level } });
    },
  )

  .get(
    "/logs",
    describe({
      summary: "The breach log",
      responses: { 200: ["A page of windows with breaches, newest first", page(rateLimitLogSchema)] },
    }),
    rateLimit({ policy: "api" }),
    requireScope("admin:read"),
    validate("query", logsQuery),
    async (c) => {
      const { limit, cursor, policy, keyKind, key, blocked, from, to } = c.req.valid("query");
      const conditions: SQL[] = [];
      if (policy) conditions.push(eq(rateLimitLogs.policy, policy));
      if (keyKind) conditions.push(eq(rateLimitLogs.keyKind, keyKind));
      if (key) conditions.push(eq(rateLimitLogs.key, key));
      if (blocked === "true") conditions.push(isNotNull(rateLimitLogs.blockedUntil));
      if (blocked === "false") conditions.push(isNull(rateLimitLogs.blockedUntil));
      if (from !== undefined) conditions.push(gte(rateLimitLogs.windowStart, from));
      if (to !== undefined) conditions.push(lte(rateLimitLogs.windowStart, to));
      if (cursor) conditions.push(lt(rateLimitLogs.id, decodeCursor(cursor, idCursor).id));
      const rows = await c.var.db
        .select()
        .from(rateLimitLogs)
        .where(conditions.length ? and(...conditions) : undefined)
        .orderBy(desc(rateLimitLogs.id))
        .limit(limit + 1);
      c.header("Cache-Control", "no-store");
      return c.json(toPage(rows, limit, (row) => ({ id: row.id }), presentLog));
    },
  );

import { and, desc, eq, gte, lt, lte, or } from "drizzle-orm";
import { Hono } from "hono";
import { auditInsert, writeAudit } from "../lib/audit/writer";
import { apiKeyCache } from "../lib/auth/api-keys";
import { forgetCachedCredentials, resetTrustedDevicesStatement, revokeAllApiKeysStatement } from "../lib/auth/revocation";
import { revokeOtherSessionsStatement, sessionCache } from "../lib/auth/sessions";
import { clock } from "../lib/clock";
import { ApiError } from "../lib/errors";
import { recordSecurityEvent } from "../lib/security/events";
import { presentUserForAdmin } from "../lib/users/present";
import { adminUserIdParam, adminUserListQuery, revokeAccessBody, roleChangeBody } from "../lib/validation/admin";
import { decodeCursor, idCursor, toPage } from "../lib/validation/pagination";
import { validate } from "../lib/validation/validate";
import { authOf, requireScope } from "../middleware/auth";
import { rateLimit } from "../middleware/rate-limit";
import { containsText } from "../db/contains";
import { users } from "../db/schema";
import type { AppEnv } from "../env";
import { operationsOf } from "../openapi/describe";
import { page } from "../openapi/schemas/primitives";
import { adminUserSchema } from "../openapi/schemas/user";
import { z } from "zod";

const describe = operationsOf("Admin: users");

export const adminUserRoutes = new Hono<AppEnv>()
  .use("*", rateLimit({ policy: "api" }))

  .get(
    "/",
    describe({ summary: "List users", responses: { 200: ["A page of users, newest first", page(adminUserSchema)] } }),
    requireScope("admin:read"),
    validate("query", adminUserListQuery),
    async (c) => {
      const { limit, cursor, role, q, createdAfter, createdBefore } = c.req.valid("query");
      const after = cursor ? decodeCursor(cursor, idCursor).id : null;
      const rows = await c.var.db
        .select()
        .from(users)
        .where(
          and(
            after ? lt(users.id, after) : undefined,
            role ? eq(users.role, role) : undefined,
            q ? or(containsText(users.email, q), containsText(users.name, q)) : undefined,
            createdAfter ? gte(users.createdAt, Date.parse(createdAfter)) : undefined,
            createdBefore ? lte(users.createdAt, Date.parse(createdBefore)) : undefined,
          ),
        )
        .orderBy(desc(users.id))
        .limit(limit + 1);
      return c.json(toPage(rows, limit, (row) => ({ id: row.id }), presentUserForAdmin));
    },
  )

  .patch(
    "/:id",
    describe({
      summary: "Change a user's role",
      responses: { 200: ["The user", z.object({ user: adminUserSchema })] },
      errors: ["forbidden", "not_found"],
    }),
    requireScope("admin:write"),
    validate("param", adminUserIdParam),
    validate("json", roleChangeBody),
    async (c) => {
      const { id } = c.req.valid("param");
      const { role, reason } = c.req.valid("json");
      const target = { type: "user", id };
      // Demoting oneself could leave no admin at all; another admin has to do it.
      if (id === authOf(c).userId) {
        await writeAudit(c, { action: "user.role_changed", status: "FAILURE", target, metadata: { reason: "self_change", role } });
        throw new ApiError("forbidden", "You cannot change your own role.");
      }
      const db = c.var.db;
      const before = await db.select().from(users).where(eq(users.id, id)).get();
      if (!before) throw ApiError.notFound("user");
      if (before.role === role) return c.json({ user: presentUserForAdmin(before) });

      const after = { ...before, role, updatedAt: clock.now() };
      await db.batch([
        db.update(users).set({ role, updatedAt: after.updatedAt }).where(eq(users.id, id)),
        auditInsert(c, {
          action: "user.role_changed",
          target,
          before: { role: before.role },
          after: { role },
          metadata: reason ? { reason } : undefined,
        }),
      ]);
      // Cached credentials carry the role: drop them so the new role applies to the next request here.
      sessionCache.evictUser(id);
      apiKeyCache.evictUser(id);
      return c.json({ user: presentUserForAdmin(after) });
    },
  )

  /**
   * Forces a user out: every session and API key is revoked and every device token loses its trust,
   * in one batch with the audit row; a HIGH security event tells the other operators. The password
   * is untouched: if it leaked, the user must change it after signing in again.
   */
  .post(
    "/:id/revoke-access",
    describe({
      summary: "Revoke every session and API key of a user",
      responses: { 200: ["What was revoked", z.object({ revokedSessions: z.number().int(), revokedApiKeys: z.number().int() })] },
      errors: ["not_found"],
    }),
    requireScope("admin:write"),
    validate("param", adminUserIdParam),
    validate("json", revokeAccessBody),
    async (c) => {
      const { id } = c.req.valid("param");
      const { reason } = c.req.valid("json");
      const db = c.var.db;
      const user = await db.select({ id: users.id }).from(users).where(eq(users.id, id)).get();
      if (!user) throw ApiError.notFound("user");
      const now = clock.now();
      const [revokedSessions, revokedApiKeys] = await db.batch([
        revokeOtherSessionsStatement(db, id, undefined, now),
        revokeAllApiKeysStatement(db, id, now),
        resetTrustedDevicesStatement(db, id, now),
        auditInsert(c, { action: "user.access_revoked", target: { type: "user", id }, metadata: { reason } }),
      ]);
      forgetCachedCredentials(id, { apiKeys: true });
      const sessionCount = revokedSessions.meta.changes;
      const keyCount = revokedApiKeys.meta.changes;
      recordSecurityEvent(c, {
        type: "access_revoked",
        severity: "HIGH",
        actorId: id,
        details: { by: authOf(c).userId, reason, revokedSessions: sessionCount, revokedKeys: keyCount },
      });
      return c.json({ revokedSessions: sessionCount, revokedApiKeys: keyCount });
    },
  );

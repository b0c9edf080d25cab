import { and, desc, eq, gt, isNull, sql } from "drizzle-orm";
import { z } from "zod";
import { Hono } from "hono";
import { auditEntry, auditInsert, writeAudit } from "../lib/audit/writer";
import { grantDeviceToken } from "../lib/auth/device-tokens";
import { hashPassword, verifyPassword } from "../lib/auth/password";
import { pendingSessionSeen } from "../lib/auth/session-activity";
import { forgetCachedCredentials, revokeAllApiKeysStatement } from "../lib/auth/revocation";
import { revokeOtherSessionsStatement, revokeSessionStatement, sessionCache } from "../lib/auth/sessions";
import { clock, iso, isoOrNull } from "../lib/clock";
import { ApiError } from "../lib/errors";
import { auditableUser, presentUser } from "../lib/users/present";
import { validate } from "../lib/validation/validate";
import { passwordChangeBody, passwordPolicyViolations, profileUpdateBody, sessionIdParam } from "../lib/validation/users";
import { authOf, requireAuth, requireScope } from "../middleware/auth";
import { guardedInsert } from "../lib/guarded-insert";
import { makeKey } from "../lib/security/rate-limit";
import { rateLimit } from "../middleware/rate-limit";
import { auditLogs, sessions, users, type User } from "../db/schema";
import type { AppEnv } from "../env";
import type { Context } from "hono";
import { operationsOf } from "../openapi/describe";
import { deviceTokenFields, meSchema, sessionSchema, userSchema } from "../openapi/schemas/user";

const describe = operationsOf("Me");

/** The caller's full row, read fresh: for changes, whose audit row needs the exact before-image. */
async function loadMe(c: Context<AppEnv>): Promise<User> {
  const user = await c.var.db
    .select()
    .from(users)
    .where(eq(users.id, authOf(c).userId))
    .get();
  // The account was deleted after the credential was cached: the credential no longer names anyone.
  if (!user) throw new ApiError("unauthenticated", "The account no longer exists.");
  return user;
}

/** The listing shows at most this many live sessions, newest first. */
const MAX_LISTED_SESSIONS = 100;

/** Checking the current password is a credential check: the `auth` policy, per IP and per account. */
const passwordCheckLimit = rateLimit({
  policy: "auth",
  key: (c) => [makeKey("ip", c.var.requestContext.ip), makeKey("user", authOf(c).userId)],
});

export const meRoutes = new Hono<AppEnv>()
  .use("*", rateLimit({ policy: "api" }), requireAuth())

  // The profile came with the credential: no query of its own.
  .get(
    "/",
    describe({ summary: "Your profile and the credential in use", responses: { 200: ["Profile and credential", meSchema] } }),
    requireScope("profile:read"),
    (c) => {
      const auth = authOf(c);
      return c.json({
        user: presentUser(auth.user),
        auth: { kind: auth.kind, scopes: [...auth.scopes].sort(), apiKeyId: auth.apiKeyId ?? null },
      });
    },
  )

  .patch(
    "/",
    describe({ summary: "Edit your profile", responses: { 200: ["The profile", z.object({ user: userSchema })] } }),
    requireScope("profile:write"),
    validate("json", profileUpdateBody),
    async (c) => {
      const changes = c.req.valid("json");
      const before = await loadMe(c);
      const after: User = { ...before, ...changes, updatedAt: clock.now() };
      const db = c.var.db;
      await db.batch([
        db
          .update(users)
          .set({ ...changes, updatedAt: after.updatedAt })
          .where(eq(users.id, before.id)),
        auditInsert(c, {
          action: "user.updated",
          target: { type: "user", id: before.id },
          before: auditableUser({ ...before, updatedAt: undefined }),
          after: auditableUser({ ...after, updatedAt: undefined }),
        }),
      ]);
      // Every cached credential of the user carries the old profile: drop them all, the caller's too.
      forgetCachedCredentials(before.id, { apiKeys: true });
      return c.json({ user: presentUser(after) });
    },
  )

  .post(
    "/password",
    describe({
      summary: "Change your password",
      description: "Needs a session (not an API key). Ends your other sessions and, when asked, revokes every API key.",
      responses: {
        200: ["Changed", z.object({ revokedSessions: z.number().int(), revokedApiKeys: z.number().int(), ...deviceTokenFields })],
      },
      errors: ["forbidden", "invalid_credentials"],
    }),
    passwordCheckLimit,
    validate("json", passwordChangeBody),
    async (c) => {
      const auth = authOf(c);
      if (auth.kind !== "session") {
        throw new ApiError("forbidden", "Changing the password needs a signed-in session, not an API key.");
      }
      const { currentPassword, newPassword, revokeApiKeys } = c.req.valid("json");
      const user = await loadMe(c);
      const target = { type: "user", id: user.id };

      if (!(await verifyPassword(currentPassword, user.passwordHash))) {
        await writeAudit(c, { action: "auth.password_changed", status: "FAILURE", target, metadata: { reason: "wrong_current_password" } });
        throw new ApiError("invalid_credentials", "The current password is incorrect.");
      }
      const violations = passwordPolicyViolations(newPassword, user.email);
      if (newPassword === currentPassword) violations.push("New password must differ from the current one");
      if (violations.length > 0) {
        throw ApiError.validation(violations.map((message) => ({ path: "newPassword", message })));
      }

      // Recovering an account closes every door but the one in use: the other sessions, the devices'
      // trust (the caller gets a fresh token below) and, when asked, every API key.
      const db = c.var.db;
      const now = clock.now();
      const [, revokedSessions, revokedKeys] = await db.batch([
        db
          .update(users)
          .set({ passwordHash: await hashPassword(newPassword), updatedAt: now, trustedDevicesResetAt: now })
          .where(eq(users.id, user.id)),
        revokeOtherSessionsStatement(db, user.id, auth.sessionId, now),
        revokeAllApiKeysStatement(db, user.id, now, revokeApiKeys),
        // Metadata names avoid "apiKey", which the redactor treats as a secret's name.
        auditInsert(c, { action: "auth.password_changed", target, metadata: { keysRevoked: revokeApiKeys } }),
      ]);
      // The caller's session and the kept API keys are still valid but carry the profile's old
      // `updatedAt`: they go too, and are read again (with the new row) on their next request.
      forgetCachedCredentials(user.id, { apiKeys: true });
      const device = await grantDeviceToken(c, user, now);
      c.header("Cache-Control", "no-store");
      return c.json({ revokedSessions: revokedSessions.meta.changes, revokedApiKeys: revokedKeys.meta.changes, ...device });
    },
  )

  /** The caller's live sessions, so a user can spot and end one they do not recognise. */
  .get(
    "/sessions",
    describe({ summary: "Your live sessions", responses: { 200: ["Sessions, newest first", z.object({ data: z.array(sessionSchema) })] } }),
    requireScope("profile:read"),
    async (c) => {
      const auth = authOf(c);
      const rows = await c.var.db
        .select()
        .from(sessions)
        .where(and(eq(sessions.userId, auth.userId), isNull(sessions.revokedAt), gt(sessions.expiresAt, clock.now())))
        .orderBy(desc(sessions.id))
        .limit(MAX_LISTED_SESSIONS);
      return c.json({
        data: rows.map((row) => ({
          id: row.id,
          current: row.id === auth.sessionId,
          ip: row.ip,
          userAgent: row.userAgent,
          createdAt: iso(row.createdAt),
          expiresAt: iso(row.expiresAt),
          lastSeenAt: isoOrNull(Math.max(row.lastSeenAt ?? 0, pendingSessionSeen(row.id) ?? 0) || null),
        })),
      });
    },
  )

  .delete(
    "/sessions/:id",
    describe({ summary: "End one of your sessions", responses: { 204: "Ended" }, errors: ["not_found"] }),
    requireScope("sessions:manage"),
    validate("param", sessionIdParam),
    async (c) => {
      const { id } = c.req.valid("param");
      const db = c.var.db;
      const session = await db
        .select({ id: sessions.id, revokedAt: sessions.revokedAt })
        .from(sessions)
        .where(and(eq(sessions.id, id), eq(sessions.userId, authOf(c).userId)))
        .get();
      if (!session) throw ApiError.notFound("session");
      if (session.revokedAt === null) {
        // The audit row goes in only while the session is still live, so of two racing revocations one is recorded.
        const stillLive = sql`exists (select 1 from ${sessions} where ${sessions.id} = ${id} and ${sessions.revokedAt} is null)`;
        await db.batch([
          guardedInsert(db, auditLogs, auditEntry(c, { action: "auth.session_revoked", target: { type: "session", id } }), stillLive),
          revokeSessionStatement(db, id, clock.now()),
        ]);
      }
      sessionCache.evictId(id);
      return c.body(null, 204);
    },
  );

import { eq } from "drizzle-orm";
import { Hono } from "hono";
import { auditInsert, writeAudit } from "../lib/audit/writer";
import { hashPassword, needsRehash, verifyAgainstDummy, verifyPassword } from "../lib/auth/password";
import { clearSessionCookie, readCsrfCookie, setCsrfCookie, setSessionCookie } from "../lib/auth/cookies";
import { grantDeviceToken, trustedDevice } from "../lib/auth/device-tokens";
import { newSession, revokeSessionStatement, sessionCache } from "../lib/auth/sessions";
import { base64UrlEncode, randomBytes } from "../lib/auth/tokens";
import { clock, iso } from "../lib/clock";
import { ApiError } from "../lib/errors";
import { eventStatements } from "../lib/events/emit";
import { newId } from "../lib/ids";
import { presentUser, auditableUser } from "../lib/users/present";
import { validate } from "../lib/validation/validate";
import { loginBody, registerBody } from "../lib/validation/users";
import { authOf, requireAuth } from "../middleware/auth";
import { loginSighting, onLoginFailed, onLoginSucceeded } from "../lib/security/login-monitor";
import { makeKey } from "../lib/security/rate-limit";
import { emailInBody, rateLimit } from "../middleware/rate-limit";
import { sessions, userLogins, users, type NewUser, type User } from "../db/schema";
import { isUniqueViolation } from "../db/unique-violation";
import type { AppEnv } from "../env";
import { operationsOf } from "../openapi/describe";
import { loginResultSchema, userSchema } from "../openapi/schemas/user";
import { z } from "zod";

const CSRF_TOKEN_SHAPE = /^[A-Za-z0-9_-]{43}$/;

const describe = operationsOf("Auth");

/**
 * Password guessing is limited per IP and per account. A client presenting a device token this account
 * issued it (OWASP's device cookies) is counted in that token's own bucket instead of the account's,
 * so strangers who exhaust the account's limit from many IPs cannot lock its owner out; every other
 * client shares the account's bucket and its lockout.
 */
const loginLimit = rateLimit({
  policy: "auth",
  key: async (c) => {
    const ip = makeKey("ip", c.var.requestContext.ip);
    const email = await emailInBody(c);
    if (!email) return [ip];
    const device = await trustedDevice(c, email);
    return [ip, device ? makeKey("device", device) : makeKey("email", email)];
  },
});

export const authRoutes = new Hono<AppEnv>()
  .post(
    "/register",
    describe({ summary: "Create an account", responses: { 201: ["The account", z.object({ user: userSchema })] }, errors: ["conflict"] }),
    rateLimit({ policy: "auth" }),
    validate("json", registerBody),
    async (c) => {
      const { email, password, name } = c.req.valid("json");
      const db = c.var.db;
      const taken = await db.select({ id: users.id }).from(users).where(eq(users.email, email)).get();
      if (taken) {
        await writeAudit(c, { action: "auth.register", status: "FAILURE", actorId: null, metadata: { reason: "email_taken" } });
        throw new ApiError("conflict", "An account with this email already exists.");
      }
      const now = clock.now();
      const user: User = {
        id: newId("user", now),
        email,
        name,
        role: c.var.config.adminEmails.includes(email) ? "admin" : "student",
        passwordHash: await hashPassword(password),
        bio: null,
        avatarUrl: null,
        timezone: "UTC",
        targetExam: null,
        createdAt: now,
        updatedAt: now,
        lastLoginAt: null,
        trustedDevicesResetAt: null,
        emailVerifiedAt: null,
      };
      const registered = eventStatements(
        db,
        user.id,
        { type: "user.registered", aggregateId: user.id, data: { userId: user.id, email, name, role: user.role } },
        now,
      );
      try {
        await db.batch([
          db.insert(users).values(user satisfies NewUser),
          auditInsert(c, { action: "auth.register", actorId: user.id, target: { type: "user", id: user.id }, after: auditableUser(user) }),
          ...registered.statements,
        ]);
      } catch (error) {
        // Two registrations for one email racing past the check above: the unique index decides.
        if (isUniqueViolation(error)) throw new ApiError("conflict", "An account with this email already exists.");
        throw error;
      }
      c.executionCtx.waitUntil(registered.send(c.env));
      return c.json({ user: presentUser(user) }, 201);
    },
  )

  .post(
    "/login",
    describe({
      summary: "Sign in with email and password",
      description: "Answers a session token and sets the session cookie; a known device (`X-Device-Token`) skips the new-device checks.",
      responses: { 200: ["Signed in", loginResultSchema] },
      errors: ["invalid_credentials"],
    }),
    loginLimit,
    validate("json", loginBody),
    async (c) => {
      const { email, password } = c.req.valid("json");
      const db = c.var.db;
      const ctx = c.var.requestContext;

      const user = await db.select().from(users).where(eq(users.email, email)).get();
      // Unknown emails are hashed against a dummy so both failures cost the same time.
      const passwordOk = user ? await verifyPassword(password, user.passwordHash) : await verifyAgainstDummy(password);
      if (!user || !passwordOk) {
        await writeAudit(c, {
          action: "auth.login_failed",
          status: "FAILURE",
          actorId: user?.id ?? null,
          target: user ? { type: "user", id: user.id } : undefined,
          metadata: { email, reason: user ? "wrong_password" : "unknown_email" },
        });
        onLoginFailed(c, { email, userId: user?.id ?? null });
        throw new ApiError("invalid_credentials", "The email or password is incorrect.");
      }

      const ttlSeconds = c.var.config.sessionTtlSeconds;
      const { token, row: session } = await newSession(user.id, ttlSeconds, { ip: ctx.ip, userAgent: ctx.userAgent });
      const now = session.createdAt;
      const rehashed = needsRehash(user.passwordHash) ? await hashPassword(password) : null;
      await db.batch([
        db.insert(sessions).values(session),
        db
          .update(users)
          .set({ lastLoginAt: now, ...(rehashed ? { passwordHash: rehashed } : {}) })
          .where(eq(users.id, user.id)),
        db.insert(userLogins).values({ id: newId("login", now), userId: user.id, ...(await loginSighting(c, now)) }),
        auditInsert(c, { action: "auth.login", actorId: user.id, target: { type: "session", id: session.id } }),
      ]);

      onLoginSucceeded(c, { userId: user.id });
      setSessionCookie(c, token, ttlSeconds);
      const device = await grantDeviceToken(c, user, now);
      c.header("Cache-Control", "no-store");
      return c.json({ token, expiresAt: iso(session.expiresAt), ...device, user: presentUser(user) });
    },
  )

  .post(
    "/logout",
    describe({
      summary: "End the current session",
      responses: { 204: "Signed out; the session cookie is cleared" },
      errors: ["bad_request"],
    }),
    rateLimit({ policy: "api" }),
    requireAuth(),
    async (c) => {
      const auth = authOf(c);
      if (auth.kind !== "session" || !auth.sessionId) {
        throw new ApiError("bad_request", "Logout ends a session; revoke an API key with DELETE /v1/api-keys/:id.");
      }
      const db = c.var.db;
      await db.batch([
        revokeSessionStatement(db, auth.sessionId, clock.now()),
        auditInsert(c, { action: "auth.logout", target: { type: "session", id: auth.sessionId } }),
      ]);
      sessionCache.evictId(auth.sessionId);
      clearSessionCookie(c);
      return c.body(null, 204);
    },
  )

  .get(
    "/csrf",
    describe({
      summary: "Get the CSRF token for cookie-authenticated state changes",
      responses: { 200: ["The token, also set as a cookie", z.object({ csrfToken: z.string(), headerName: z.literal("X-CSRF-Token") })] },
    }),
    rateLimit({ policy: "api" }),
    (c) => {
      // An existing token is kept so several open tabs do not invalidate each other's.
      const existing = readCsrfCookie(c);
      const token = existing && CSRF_TOKEN_SHAPE.test(existing) ? existing : base64UrlEncode(randomBytes());
      setCsrfCookie(c, token, c.var.config.sessionTtlSeconds);
      c.header("Cache-Control", "no-store");
      return c.json({ csrfToken: token, headerName: "X-CSRF-Token" });
    },
  );

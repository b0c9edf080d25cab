import { and, eq, ne, sql, type SQL } from "drizzle-orm";
import { Hono, type Context } from "hono";
import { z } from "zod";
import { auditLogs, users } from "../db/schema";
import { isUniqueViolation } from "../db/unique-violation";
import type { AppEnv } from "../env";
import { auditEntry, auditInsert, writeAudit } from "../lib/audit/writer";
import { hashPassword, verifyPassword } from "../lib/auth/password";
import { forgetCachedCredentials, revokeAllApiKeysStatement } from "../lib/auth/revocation";
import { revokeOtherSessionsStatement } from "../lib/auth/sessions";
import { clock, iso } from "../lib/clock";
import { emailLinks } from "../lib/email/links";
import { prepareEmail, prepareTokenEmail, queueEmail } from "../lib/email/outbox";
import { consumeStatement, EMAIL_TOKEN_LIFETIME_MS, findUsableToken, tokenUnused } from "../lib/email/tokens";
import { verificationEmail } from "../lib/email/triggers";
import { ApiError } from "../lib/errors";
import { eventStatements } from "../lib/events/emit";
import { changesOf } from "../lib/exam/attempts";
import { guardedInsert } from "../lib/guarded-insert";
import { enqueueStatements } from "../lib/queue";
import { makeKey } from "../lib/security/rate-limit";
import { presentUser } from "../lib/users/present";
import { emailChangeBody, passwordResetBody, passwordResetConfirmBody, tokenBody } from "../lib/validation/email";
import { passwordPolicyViolations } from "../lib/validation/users";
import { validate } from "../lib/validation/validate";
import { authOf, requireAuth, requireScope } from "../middleware/auth";
import { emailInBody, rateLimit } from "../middleware/rate-limit";
import { operationsOf } from "../openapi/describe";
import { userSchema } from "../openapi/schemas/user";

const describe = operationsOf("Auth");

const invalidToken = () => new ApiError("invalid_token", "The link is invalid, was already used, or has expired: ask for a new one.");

/** Mail to an address: per IP, and per address (or per account) so nobody's inbox can be flooded from many IPs. */
const mailLimit = (subject: (c: Context<AppEnv>) => Promise<string | null> | string | null) =>
  rateLimit({
    policy: "email",
    key: async (c) => {
      const key = await subject(c);
      return [makeKey("ip", c.var.requestContext.ip), ...(key ? [key] : [])];
    },
  });

/** Token redemption is a credential check (the `auth` policy per IP); the tokens themselves carry 256 bits. */
const redeemLimit = rateLimit({ policy: "auth", key: (c) => makeKey("ip", c.var.requestContext.ip) });

/** The token's user, when a signed-in caller is that user or nobody is signed in; a token never acts on someone else's behalf. */
async function tokenOwner(c: Context<AppEnv>, token: { userId: string; email: string }, sameEmail = true) {
  const caller = c.var.auth;
  if (caller && caller.userId !== token.userId) throw invalidToken();
  const user = await c.var.db.select().from(users).where(eq(users.id, token.userId)).get();
  // A verification mailed to an address the account no longer uses proves nothing.
  if (!user || (sameEmail && user.email !== token.email)) throw invalidToken();
  return user;
}

/** `user.email_verified`, written only if the token is still unused when the batch runs. */
const emailVerifiedEvent = (c: Context<AppEnv>, userId: string, email: string, now: number, unused: SQL) =>
  eventStatements(c.var.db, userId, {
    type: "user.email_verified",
    aggregateId: userId,
    data: { userId, email, verifiedAt: iso(now) },
    when: unused,
  });

const resetAccepted = z.object({ accepted: z.literal(true), message: z.string() });

/** Mounted at /v1/auth: the flows that start or end with a mailed link, most without signing in. */
export const accountEmailRoutes = new Hono<AppEnv>()
  .post(
    "/verify-email",
    describe({
      summary: "Verify your email address with the mailed token",
      description: "Single use, valid 24 h, and only for the address the account still has.",
      responses: { 200: ["Verified", z.object({ user: userSchema })] },
      errors: ["invalid_token"],
    }),
    redeemLimit,
    validate("json", tokenBody),
    async (c) => {
      const db = c.var.db;
      const token = await findUsableToken(db, "verify_email", c.req.valid("json").token);
      if (!token) throw invalidToken();
      const user = await tokenOwner(c, token);
      const now = clock.now();
      const unused = tokenUnused(token.id);
      const verified = emailVerifiedEvent(c, user.id, user.email, now, unused);
      const results = await db.batch([
        guardedInsert(
          db,
          auditLogs,
          auditEntry(c, { action: "auth.email_verified", actorId: user.id, target: { type: "user", id: user.id } }),
          unused,
        ),
        ...verified.statements,
        db
          .update(users)
          .set({ emailVerifiedAt: sql`coalesce(${users.emailVerifiedAt}, ${now})`, updatedAt: now })
          .where(and(eq(users.id, user.id), unused)),
        consumeStatement(db, token.id, now),
      ]);
      if (changesOf(results.at(-1)) !== 1) throw invalidToken();
      forgetCachedCredentials(user.id, { apiKeys: true });
      c.executionCtx.waitUntil(verified.send(c.env));
      return c.json({ user: presentUser({ ...user, emailVerifiedAt: user.emailVerifiedAt ?? now, updatedAt: now }) });
    },
  )

  .post(
    "/verify-email/resend",
    describe({
      summary: "Mail a new verification link",
      description: "Withdraws the earlier links. Limited per account and per IP (`email` policy).",
      responses: { 202: ["Sent", z.object({ sentTo: z.email(), expiresAt: z.iso.datetime() })] },
      errors: ["conflict"],
    }),
    rateLimit({ policy: "api" }),
    requireAuth(),
    requireScope("profile:write"),
    mailLimit((c) => makeKey("user", authOf(c).userId)),
    async (c) => {
      const db = c.var.db;
      const config = c.var.config;
      const user = await db
        .select()
        .from(users)
        .where(eq(users.id, authOf(c).userId))
        .get();
      if (!user) throw ApiError.notFound("user");
      if (user.emailVerifiedAt !== null) throw new ApiError("conflict", "This address is already verified.");
      const prepared = await prepareTokenEmail(db, config, verificationEmail(config, user));
      await db.batch([
        ...prepared.statements,
        auditInsert(c, { action: "auth.verification_sent", target: { type: "user", id: user.id }, metadata: { to: user.email } }),
      ]);
      c.executionCtx.waitUntil(prepared.send(c.env));
      return c.json({ sentTo: user.email, expiresAt: iso(prepared.token.expiresAt) }, 202);
    },
  )

  .post(
    "/password-reset",
    describe({
      summary: "Ask for a password reset link",
      description:
        "Always 202, whether or not an account uses the address, at the same cost: the lookup and the mail happen in a job. Limited per IP and per address (`email` policy).",
      responses: { 202: ["Accepted", resetAccepted] },
    }),
    mailLimit(async (c) => {
      const email = await emailInBody(c);
      return email ? makeKey("email", email) : null;
    }),
    validate("json", passwordResetBody),
    async (c) => {
      const { email } = c.req.valid("json");
      const db = c.var.db;
      const job = enqueueStatements(db, "email.password_reset", { email, ip: c.var.requestContext.ip }, { maxAttempts: 5 });
      await db.batch([...job.statements, auditInsert(c, { action: "auth.password_reset_requested", actorId: null, metadata: { email } })]);
      c.executionCtx.waitUntil(job.send(c.env));
      return c.json({ accepted: true as const, message: "If an account uses this address, a reset link is on its way." }, 202);
    },
  )

  .post(
    "/password-reset/confirm",
    describe({
      summary: "Set a new password with the mailed token",
      description:
        "Single use, valid 30 minutes. Ends every session, withdraws every device's trust and, with `revokeApiKeys`, revokes every API key; mails a notice.",
      responses: { 200: ["Changed", z.object({ revokedSessions: z.number().int(), revokedApiKeys: z.number().int() })] },
      errors: ["invalid_token"],
    }),
    redeemLimit,
    validate("json", passwordResetConfirmBody),
    async (c) => {
      const { token: presented, password, revokeApiKeys } = c.req.valid("json");
      const db = c.var.db;
      const token = await findUsableToken(db, "password_reset", presented);
      if (!token) throw invalidToken();
      const user = await tokenOwner(c, token);
      const violations = passwordPolicyViolations(password, user.email);
      if (violations.length > 0) throw ApiError.validation(violations.map((message) => ({ path: "password", message })));

      const now = clock.now();
      const unused = tokenUnused(token.id);
      const results = await db.batch([
        guardedInsert(
          db,
          auditLogs,
          auditEntry(c, {
            action: "auth.password_reset",
            actorId: user.id,
            target: { type: "user", id: user.id },
            metadata: { keysRevoked: revokeApiKeys },
          }),
          unused,
        ),
        db
          .update(users)
          .set({
            passwordHash: await hashPassword(password),
            updatedAt: now,
            trustedDevicesResetAt: now,
            // The link reached this mailbox: the address is proven.
            emailVerifiedAt: sql`coalesce(${users.emailVerifiedAt}, ${now})`,
          })
          .where(and(eq(users.id, user.id), unused)),
        revokeOtherSessionsStatement(db, user.id, undefined, now, unused),
        revokeAllApiKeysStatement(db, user.id, now, revokeApiKeys && unused),
        consumeStatement(db, token.id, now),
      ]);
      if (changesOf(results.at(-1)) !== 1) throw invalidToken();
      forgetCachedCredentials(user.id, { apiKeys: true });
      c.executionCtx.waitUntil(
        queueEmail(c.env, db, c.var.config, {
          template: "password_changed",
          to: user.email,
          userId: user.id,
          data: { name: user.name, changedAt: iso(now), ip: c.var.requestContext.ip, via: "reset" },
        }).catch((error: unknown) => c.var.logger.error("password-changed notice not queued", { error: String(error) })),
      );
      c.header("Cache-Control", "no-store");
      return c.json({ revokedSessions: changesOf(results[2]), revokedApiKeys: changesOf(results[3]) });
    },
  )

  .post(
    "/email-change/confirm",
    describe({
      summary: "Confirm a new email address with the token mailed to it",
      description: "Single use, valid 24 h. The account's address becomes the new one, verified.",
      responses: { 200: ["Changed", z.object({ user: userSchema })] },
      errors: ["invalid_token", "conflict"],
    }),
    redeemLimit,
    validate("json", tokenBody),
    async (c) => {
      const db = c.var.db;
      const token = await findUsableToken(db, "email_change", c.req.valid("json").token);
      if (!token) throw invalidToken();
      const user = await tokenOwner(c, token, false);
      const taken = await db
        .select({ id: users.id })
        .from(users)
        .where(and(eq(users.email, token.email), ne(users.id, user.id)))
        .get();
      if (taken) throw new ApiError("conflict", "Another account now uses this address.");
      const now = clock.now();
      const unused = tokenUnused(token.id);
      const verified = emailVerifiedEvent(c, user.id, token.email, now, unused);
      const changes = { email: token.email, emailVerifiedAt: now, updatedAt: now, trustedDevicesResetAt: now };
      let results: unknown[];
      try {
        results = await db.batch([
          guardedInsert(
            db,
            auditLogs,
            auditEntry(c, {
              action: "auth.email_changed",
              actorId: user.id,
              target: { type: "user", id: user.id },
              before: { email: user.email },
              after: { email: token.email },
            }),
            unused,
          ),
          ...verified.statements,
          db
            .update(users)
            .set(changes)
            .where(and(eq(users.id, user.id), unused)),
          consumeStatement(db, token.id, now),
        ]);
      } catch (error) {
        if (isUniqueViolation(error)) throw new ApiError("conflict", "Another account now uses this address.");
        throw error;
      }
      if (changesOf(results.at(-1)) !== 1) throw invalidToken();
      forgetCachedCredentials(user.id, { apiKeys: true });
      c.executionCtx.waitUntil(verified.send(c.env));
      return c.json({ user: presentUser({ ...user, ...changes }) });
    },
  );

/** Mounted at /v1/me (after the profile routes, under their auth and rate limit). */
export const myEmailRoutes = new Hono<AppEnv>().post(
  "/email",
  describe({
    summary: "Change your email address",
    description:
      "Needs a session and the current password. Mails a confirmation link to the new address (POST /v1/auth/email-change/confirm) and a notice to the current one; nothing changes until the link is used.",
    responses: { 202: ["Confirmation sent", z.object({ pendingEmail: z.email(), expiresAt: z.iso.datetime() })] },
    errors: ["forbidden", "invalid_credentials", "conflict"],
  }),
  requireScope("profile:write"),
  rateLimit({ policy: "auth", key: (c) => [makeKey("ip", c.var.requestContext.ip), makeKey("user", authOf(c).userId)] }),
  mailLimit((c) => makeKey("user", authOf(c).userId)),
  validate("json", emailChangeBody),
  async (c) => {
    const auth = authOf(c);
    if (auth.kind !== "session") throw new ApiError("forbidden", "Changing the email address needs a signed-in session, not an API key.");
    const { newEmail, password } = c.req.valid("json");
    const db = c.var.db;
    const config = c.var.config;
    const user = await db.select().from(users).where(eq(users.id, auth.userId)).get();
    if (!user) throw ApiError.notFound("user");
    const target = { type: "user", id: user.id };
    if (!(await verifyPassword(password, user.passwordHash))) {
      await writeAudit(c, { action: "auth.email_change_requested", status: "FAILURE", target, metadata: { reason: "wrong_password" } });
      throw new ApiError("invalid_credentials", "The password is incorrect.");
    }
    if (newEmail === user.email) throw ApiError.validation([{ path: "newEmail", message: "This is already your address" }]);
    if (await db.select({ id: users.id }).from(users).where(eq(users.email, newEmail)).get()) {
      throw new ApiError("conflict", "Another account uses this address.");
    }
    const now = clock.now();
    const confirm = await prepareTokenEmail(db, config, {
      template: "email_change_confirm",
      purpose: "email_change",
      to: newEmail,
      userId: user.id,
      data: (token) => ({
        name: user.name,
        newEmail,
        confirmUrl: emailLinks(config).confirmEmailChange(token),
        expiresInHours: EMAIL_TOKEN_LIFETIME_MS.email_change / 3_600_000,
      }),
    });
    const notice = await prepareEmail(db, config, {
      template: "email_change_notice",
      to: user.email,
      userId: user.id,
      data: { name: user.name, newEmail, requestedAt: iso(now) },
    });
    await db.batch([
      ...confirm.statements,
      ...notice.statements,
      auditInsert(c, { action: "auth.email_change_requested", target, metadata: { newEmail } }),
    ]);
    c.executionCtx.waitUntil(Promise.all([confirm.send(c.env), notice.send(c.env)]));
    return c.json({ pendingEmail: newEmail, expiresAt: iso(confirm.token.expiresAt) }, 202);
  },
);

import type { Context, MiddlewareHandler } from "hono";
import { clock } from "../../lib/clock";
import { ApiError } from "../../lib/errors";
import { effectiveKeyScopes, findApiKey } from "../../lib/auth/api-keys";
import { takeDueApiKeyUsage, trackApiKeyUse, writeApiKeyUsage } from "../../lib/auth/api-key-usage";
import type { AuthContext } from "../../lib/auth/context";
import { CSRF_HEADER, readCsrfCookie, readSessionCookie } from "../../lib/auth/cookies";
import { scopesOfRole, type Scope } from "../../lib/auth/scopes";
import { findSession } from "../../lib/auth/sessions";
import { takeDueSessionActivity, trackSessionSeen, writeSessionActivity } from "../../lib/auth/session-activity";
import { API_KEY_SHAPE, SESSION_TOKEN_SHAPE, sha256Hex, timingSafeEqual } from "../../lib/auth/tokens";
import { recordSecurityEvent } from "../../lib/security/events";
import { documented } from "../../openapi/describe";
import { QuietPeriod } from "../../lib/security/quiet-period";
import type { Role } from "../../db/schema";
import type { AppEnv } from "../../env";

type Ctx = Context<AppEnv>;
type Verified = { auth: AuthContext } | { error: ApiError };

const SAFE_METHODS = new Set(["GET", "HEAD", "OPTIONS"]);

/** One security event per subject per minute: a client retrying a revoked key must not flood the table. */
const misuseReports = new QuietPeriod(60_000);

/**
 * Why a presented cookie did not authenticate, kept for `requireAuth` to answer with; `report` runs
 * once, when a route that needs the identity refuses the request (so a stray cookie on a public
 * route such as login is neither an error nor a security event).
 */
const cookieFailures = new WeakMap<Request, { error: ApiError; report?: () => void }>();

const unauthenticated = (detail = "Sign in, or send an API key as `Authorization: Bearer <key>`.") =>
  new ApiError("unauthenticated", detail);

async function verifySessionToken(c: Ctx, token: string): Promise<Verified> {
  if (!SESSION_TOKEN_SHAPE.test(token)) return { error: unauthenticated("The session token is not valid.") };
  const session = await findSession(c.var.db, await sha256Hex(token));
  if (!session || session.revokedAt !== null) return { error: unauthenticated("The session is not valid; sign in again.") };
  const now = clock.now();
  if (session.expiresAt <= now) return { error: new ApiError("session_expired", "The session has expired; sign in again.") };
  trackSessionSeen(session.id, now);
  return {
    auth: {
      kind: "session",
      userId: session.userId,
      role: session.user.role,
      user: session.user,
      scopes: scopesOfRole(session.user.role),
      sessionId: session.id,
    },
  };
}

async function verifyApiKey(c: Ctx, key: string): Promise<Verified> {
  if (!API_KEY_SHAPE.test(key)) return { error: unauthenticated("The API key is not valid.") };
  const record = await findApiKey(c.var.db, await sha256Hex(key));
  if (!record) return { error: unauthenticated("The API key is not valid.") };
  const now = clock.now();
  const misuse = (reason: string) => {
    if (!misuseReports.admit(`api_key_misuse:${record.id}:${reason}`, now)) return;
    recordSecurityEvent(c, {
      type: "api_key_misuse",
      severity: "MEDIUM",
      actorId: record.userId,
      apiKeyId: record.id,
      details: { reason },
    });
  };
  if (record.revokedAt !== null) {
    misuse("revoked_key_used");
    return { error: new ApiError("key_revoked", "This API key has been revoked.") };
  }
  if (record.matched === "previous" && (record.previousKeyExpiresAt === null || record.previousKeyExpiresAt <= now)) {
    misuse("rotated_key_used");
    return { error: new ApiError("key_revoked", "This API key was rotated; use its new secret.") };
  }
  if (record.expiresAt !== null && record.expiresAt <= now) {
    return { error: new ApiError("key_expired", "This API key has expired.") };
  }
  trackApiKeyUse(record.id, now);
  return {
    auth: {
      kind: "api_key",
      userId: record.userId,
      role: record.user.role,
      user: record.user,
      scopes: effectiveKeyScopes(record.scopes, record.user.role),
      apiKeyId: record.id,
      apiKeyRateLimit: record.rateLimit,
    },
  };
}

/**
 * Writes the API-key usage and session activity counted in this isolate when a flush is due (at most
 * one batched D1 write each per interval), after the response. Checked on every request, not only
 * keyed ones, so the last counts of a burst do not wait for the next API-key request.
 */
function flushDueUsage(c: Ctx): void {
  const now = clock.now();
  const keys = takeDueApiKeyUsage(now);
  if (keys) {
    c.executionCtx.waitUntil(
      writeApiKeyUsage(c.var.db, keys).catch((error: unknown) => c.var.logger.warn("api key usage flush failed", { error: String(error) })),
    );
  }
  const seen = takeDueSessionActivity(now);
  if (seen) {
    c.executionCtx.waitUntil(
      writeSessionActivity(c.var.db, seen).catch((error: unknown) =>
        c.var.logger.warn("session activity flush failed", { error: String(error) }),
      ),
    );
  }
}

function originOf(value: string | undefined): string | null {
  if (!value) return null;
  try {
    return new URL(value).origin;
  } catch {
    return null;
  }
}

/**
 * A cookie-authenticated state change must come from one of our origins and echo the double-submit
 * token (`X-CSRF-Token` equal to the `__Host-` CSRF cookie). Returns why it fails, or null.
 */
function csrfFailure(c: Ctx): string | null {
  const origin = c.req.header("Origin") ?? originOf(c.req.header("Referer"));
  if (!origin) return "missing_origin";
  if (origin !== new URL(c.req.url).origin && !c.var.config.corsOrigins.includes(origin)) return "origin_not_allowed";
  const cookie = readCsrfCookie(c);
  const header = c.req.header(CSRF_HEADER);
  if (!cookie || !header) return "missing_token";
  if (!timingSafeEqual(cookie, header)) return "token_mismatch";
  return null;
}

/**
 * Works out who is calling, for every request. A bearer credential (API key `pk_…` or session token
 * `st_…`) that fails answers 401 at once; a session cookie that fails is ignored (stale cookies are
 * normal) and only `requireAuth` reports it. A cookie authenticates an unsafe method only when the
 * request passes CSRF; otherwise routes that need the caller answer 403 `csrf_failed`.
 */
export const authenticate = (): MiddlewareHandler<AppEnv> => {
  return async function authenticate(c, next) {
    c.set("auth", undefined);
    const header = c.req.header("Authorization");
    if (header !== undefined) {
      const credential = /^Bearer +(\S+) *$/i.exec(header)?.[1];
      const result = !credential
        ? { error: unauthenticated("The Authorization header must be `Bearer <token>`.") }
        : credential.startsWith("pk_")
          ? await verifyApiKey(c, credential)
          : await verifySessionToken(c, credential);
      if ("error" in result) throw result.error;
      c.set("auth", result.auth);
      flushDueUsage(c);
      return next();
    }

    const cookie = readSessionCookie(c);
    if (cookie) {
      const result = await verifySessionToken(c, cookie);
      const csrf = "error" in result || SAFE_METHODS.has(c.req.method) ? null : csrfFailure(c);
      if ("error" in result) {
        cookieFailures.set(c.req.raw, { error: result.error });
      } else if (csrf) {
        // The cookie does not authenticate this state change; only a route that needs it refuses.
        const userId = result.auth.userId;
        cookieFailures.set(c.req.raw, {
          error: new ApiError("csrf_failed", "The request failed the CSRF check: send X-CSRF-Token from GET /v1/auth/csrf."),
          report: () => {
            if (!misuseReports.admit(`csrf_failure:${userId}:${csrf}`, clock.now())) return;
            recordSecurityEvent(c, {
              type: "csrf_failure",
              severity: "MEDIUM",
              actorId: userId,
              details: { reason: csrf, method: c.req.method, path: c.req.path, origin: c.req.header("Origin") ?? null },
            });
          },
        });
      } else {
        c.set("auth", result.auth);
      }
    }
    flushDueUsage(c);
    return next();
  };
};

/** The caller's auth context, or the reason there is none (401). For handlers behind `requireAuth`. */
export function authOf(c: Ctx): AuthContext {
  const auth = c.get("auth");
  if (auth) return auth;
  const failure = cookieFailures.get(c.req.raw);
  if (!failure) throw unauthenticated();
  failure.report?.();
  failure.report = undefined;
  throw failure.error;
}

export const requireAuth = (): MiddlewareHandler<AppEnv> => {
  return documented({ "x-proctor-auth": ["required"] }, async function requireAuth(c, next) {
    authOf(c);
    await next();
  });
};

/** 403 `insufficient_scope` naming the first scope the caller lacks (in the detail and as `scope`). */
export const requireScope = (...scopes: Scope[]): MiddlewareHandler<AppEnv> => {
  return documented({ "x-proctor-scopes": scopes }, async function requireScope(c, next) {
    const auth = authOf(c);
    const missing = scopes.find((scope) => !auth.scopes.has(scope));
    if (missing) {
      // A non-admin reaching for admin powers is worth a look; an admin key lacking a scope is not.
      if (
        missing.startsWith("admin:") &&
        auth.role !== "admin" &&
        misuseReports.admit(`privilege_escalation_attempt:${auth.userId}:${missing}`, clock.now())
      ) {
        recordSecurityEvent(c, {
          type: "privilege_escalation_attempt",
          severity: "LOW",
          details: { scope: missing, method: c.req.method, path: c.req.path },
        });
      }
      throw new ApiError("insufficient_scope", `This action needs the "${missing}" scope.`, { extensions: { scope: missing } });
    }
    await next();
  });
};

export const requireRole = (...roles: Role[]): MiddlewareHandler<AppEnv> => {
  return documented({ "x-proctor-roles": roles }, async function requireRole(c, next) {
    const auth = authOf(c);
    if (!roles.includes(auth.role)) throw new ApiError("forbidden", `This action is for ${roles.join(" or ")} accounts.`);
    await next();
  });
};

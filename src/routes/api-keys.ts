import { and, count, desc, eq, isNull, lt, or, gt, sql } from "drizzle-orm";
import { Hono, type Context } from "hono";
import type { ZodType, z } from "zod";
import { auditEntry, writeAudit } from "../lib/audit/writer";
import { actableKeys, apiKeyCache, scopeLackedFor } from "../lib/auth/api-keys";
import { credentialStillLive } from "../lib/auth/revocation";
import { sessionCache } from "../lib/auth/sessions";
import { pendingApiKeyUse } from "../lib/auth/api-key-usage";
import { apiKeyDisplayPrefix, newApiKeySecret, sha256Hex } from "../lib/auth/tokens";
import { clock, iso, isoOrNull } from "../lib/clock";
import { ApiError, zodIssuesToFieldErrors } from "../lib/errors";
import { guardedInsert } from "../lib/guarded-insert";
import { newId } from "../lib/ids";
import { recordSecurityEvent } from "../lib/security/events";
import { QuietPeriod } from "../lib/security/quiet-period";
import { exceedsCeiling } from "../lib/security/rate-limit";
import { decodeCursor, idCursor, paginationQuery, toPage } from "../lib/validation/pagination";
import { validate } from "../lib/validation/validate";
import { API_KEY_MAX_LIFETIME_MS, apiKeyCreateBody, apiKeyIdParam, apiKeyRotateBody } from "../lib/validation/api-keys";
import { authOf, requireScope } from "../middleware/auth";
import { rateLimit } from "../middleware/rate-limit";
import { apiKeys, auditLogs, type ApiKey } from "../db/schema";
import type { AppEnv } from "../env";
import { operationsOf } from "../openapi/describe";
import { apiKeySchema, apiKeyWithSecretSchema } from "../openapi/schemas/api-key";
import { page } from "../openapi/schemas/primitives";
import { requireVerifiedEmail } from "../middleware/verified-email";

const describe = operationsOf("API keys");

/** Live (unrevoked, unexpired) keys one user may hold at once. */
export const MAX_ACTIVE_API_KEYS = 50;

function keyStatus(key: ApiKey, now: number): "active" | "revoked" | "expired" {
  if (key.revokedAt !== null) return "revoked";
  if (key.expiresAt !== null && key.expiresAt <= now) return "expired";
  return "active";
}

/** An API key as its owner sees it: never the secret or its hash. */
function presentApiKey(key: ApiKey) {
  const pending = pendingApiKeyUse(key.id);
  const lastUsedAt = Math.max(key.lastUsedAt ?? 0, pending?.lastUsedAt ?? 0);
  return {
    id: key.id,
    name: key.name,
    prefix: key.prefix,
    scopes: key.scopes,
    status: keyStatus(key, clock.now()),
    rateLimit:
      key.rateLimitLimit != null && key.rateLimitWindowSeconds != null
        ? { limit: key.rateLimitLimit, windowSeconds: key.rateLimitWindowSeconds }
        : null,
    usageCount: key.usageCount + (pending?.count ?? 0),
    lastUsedAt: lastUsedAt > 0 ? iso(lastUsedAt) : null,
    expiresAt: isoOrNull(key.expiresAt),
    revokedAt: isoOrNull(key.revokedAt),
    previousKeyExpiresAt:
      key.previousKeyExpiresAt !== null && key.previousKeyExpiresAt > clock.now() ? iso(key.previousKeyExpiresAt) : null,
    createdAt: iso(key.createdAt),
    updatedAt: iso(key.updatedAt),
  };
}

/** One security event per key and target per minute: a key probing its siblings must not flood the table. */
const escalationReports = new QuietPeriod(60_000);

/**
 * The caller's own key, or 404: another user's key id answers exactly like one that does not exist.
 * An API key acting on a sibling holding a scope it lacks is refused 403 (`scopeLackedFor`); a refused
 * rotation or revocation is audited and reported as a privilege escalation attempt.
 */
async function actOnKey(c: Context<AppEnv>, id: string, action?: "api_key.rotated" | "api_key.revoked"): Promise<ApiKey> {
  const auth = authOf(c);
  const key = await c.var.db
    .select()
    .from(apiKeys)
    .where(and(eq(apiKeys.id, id), eq(apiKeys.ownerId, auth.userId)))
    .get();
  if (!key) throw ApiError.notFound("API key");
  const lacked = scopeLackedFor(auth, key);
  if (lacked === null) return key;
  if (action) {
    await writeAudit(c, {
      action,
      status: "FAILURE",
      target: { type: "api_key", id: key.id },
      metadata: { reason: "stronger_key", scope: lacked },
    });
    if (escalationReports.admit(`${auth.apiKeyId}:${key.id}`, clock.now())) {
      recordSecurityEvent(c, {
        type: "privilege_escalation_attempt",
        severity: "MEDIUM",
        details: { reason: "stronger_api_key", action, targetKeyId: key.id, scope: lacked },
      });
    }
  }
  throw new ApiError(
    "insufficient_scope",
    `This API key holds "${lacked}", which the calling key does not: act on it with a session or a key holding all its scopes.`,
    { extensions: { scope: lacked } },
  );
}

/** A JSON body that may be left out entirely (then `{}`); when present it is checked like any other. */
async function optionalJson<S extends ZodType>(c: Context<AppEnv>, schema: S): Promise<z.infer<S>> {
  const raw = await c.req.text();
  let value: unknown = {};
  if (raw.trim() !== "") {
    const mediaType = (c.req.header("Content-Type") ?? "").split(";")[0]!.trim().toLowerCase();
    if (mediaType !== "application/json") throw new ApiError("unsupported_media_type", "The request body must be application/json.");
    try {
      value = JSON.parse(raw);
    } catch {
      throw new ApiError("malformed_json", "The request body is not valid JSON.");
    }
  }
  const parsed = schema.safeParse(value);
  if (!parsed.success) throw ApiError.validation(zodIssuesToFieldErrors(parsed.error.issues), "Invalid body.");
  return parsed.data;
}

export const apiKeyRoutes = new Hono<AppEnv>()
  .use("*", rateLimit({ policy: "api" }), requireScope("api_keys:manage"))

  .post(
    "/",
    describe({
      summary: "Create an API key",
      description: "The secret is in this response only. A key holds at most the scopes of the credential creating it.",
      responses: { 201: ["The key, with its secret", apiKeyWithSecretSchema] },
      errors: ["email_not_verified"],
    }),
    requireVerifiedEmail("api_keys"),
    validate("json", apiKeyCreateBody),
    async (c) => {
      const auth = authOf(c);
      const body = c.req.valid("json");
      const db = c.var.db;
      const now = clock.now();

      // A key can hold only what its creator holds: a session's role scopes, or the calling key's own.
      const notHeld = body.scopes.find((scope) => !auth.scopes.has(scope as never));
      if (notHeld) {
        await writeAudit(c, { action: "api_key.created", status: "FAILURE", metadata: { reason: "scope_not_held", scope: notHeld } });
        throw new ApiError("insufficient_scope", `You cannot grant the "${notHeld}" scope: you do not hold it.`, {
          extensions: { scope: notHeld },
        });
      }
      const ceiling = c.var.config.rateLimit.roleCeilings[auth.role];
      if (body.rateLimit && exceedsCeiling(body.rateLimit, ceiling)) {
        throw ApiError.validation([
          {
            path: "rateLimit",
            message: `A ${auth.role}'s key may allow at most ${ceiling.limit} requests per ${ceiling.windowSeconds} s, and no faster`,
          },
        ]);
      }
      const expiresAt = body.expiresAt ? Date.parse(body.expiresAt) : null;
      if (expiresAt !== null && (expiresAt <= now || expiresAt > now + API_KEY_MAX_LIFETIME_MS)) {
        throw ApiError.validation([{ path: "expiresAt", message: "Must be in the future and at most 366 days away" }]);
      }
      const activeKeys = db
        .select({ n: count() })
        .from(apiKeys)
        .where(and(eq(apiKeys.ownerId, auth.userId), isNull(apiKeys.revokedAt), or(isNull(apiKeys.expiresAt), gt(apiKeys.expiresAt, now))));
      const tooMany = () => new ApiError("conflict", `You already hold ${MAX_ACTIVE_API_KEYS} active API keys; revoke one first.`);
      if (((await activeKeys)[0]?.n ?? 0) >= MAX_ACTIVE_API_KEYS) throw tooMany();

      const secret = newApiKeySecret();
      const key: ApiKey = {
        id: newId("apiKey", now),
        name: body.name,
        prefix: apiKeyDisplayPrefix(secret),
        keyHash: await sha256Hex(secret),
        previousKeyHash: null,
        previousKeyExpiresAt: null,
        scopes: body.scopes,
        ownerId: auth.userId,
        expiresAt,
        revokedAt: null,
        lastUsedAt: null,
        usageCount: 0,
        rateLimitLimit: body.rateLimit?.limit ?? null,
        rateLimitWindowSeconds: body.rateLimit?.windowSeconds ?? null,
        createdAt: now,
        updatedAt: now,
      };
      const { keyHash: _hash, previousKeyHash: _previous, ...auditable } = key;
      // Checked again as the insert runs: a credential revoked meanwhile (password change, forced
      // sign-out) mints nothing, and racing creations cannot pass the cap together.
      const [inserted] = await db.batch([
        guardedInsert(db, apiKeys, key, sql`${credentialStillLive(auth)} and (${activeKeys}) < ${MAX_ACTIVE_API_KEYS}`),
        guardedInsert(
          db,
          auditLogs,
          auditEntry(c, { action: "api_key.created", target: { type: "api_key", id: key.id }, after: auditable }),
          sql`exists (select 1 from ${apiKeys} where ${apiKeys.id} = ${key.id})`,
        ),
      ]);
      if (inserted.meta.changes === 0) {
        if (((await activeKeys)[0]?.n ?? 0) >= MAX_ACTIVE_API_KEYS) throw tooMany();
        apiKeyCache.evictId(auth.apiKeyId ?? "");
        sessionCache.evictId(auth.sessionId ?? "");
        throw new ApiError("unauthenticated", "Your credential was revoked while the request ran; nothing was created.");
      }
      c.header("Cache-Control", "no-store");
      return c.json({ ...presentApiKey(key), key: secret }, 201);
    },
  )

  .get(
    "/",
    describe({ summary: "List your API keys", responses: { 200: ["A page of keys, newest first", page(apiKeySchema)] } }),
    validate("query", paginationQuery),
    async (c) => {
      const { limit, cursor } = c.req.valid("query");
      const after = cursor ? decodeCursor(cursor, idCursor).id : null;
      const rows = await c.var.db
        .select()
        .from(apiKeys)
        .where(and(eq(apiKeys.ownerId, authOf(c).userId), actableKeys(authOf(c)), after ? lt(apiKeys.id, after) : undefined))
        .orderBy(desc(apiKeys.id))
        .limit(limit + 1);
      return c.json(toPage(rows, limit, (row) => ({ id: row.id }), presentApiKey));
    },
  )

  .get(
    "/:id",
    describe({ summary: "Read one of your API keys", responses: { 200: ["The key", apiKeySchema] }, errors: ["not_found"] }),
    validate("param", apiKeyIdParam),
    async (c) => {
      return c.json(presentApiKey(await actOnKey(c, c.req.valid("param").id)));
    },
  )

  .delete(
    "/:id",
    describe({ summary: "Revoke an API key", responses: { 204: "Revoked" }, errors: ["not_found"] }),
    validate("param", apiKeyIdParam),
    async (c) => {
      const key = await actOnKey(c, c.req.valid("param").id, "api_key.revoked");
      if (key.revokedAt === null) {
        const now = clock.now();
        const db = c.var.db;
        const stillLive = and(eq(apiKeys.id, key.id), isNull(apiKeys.revokedAt));
        // The audit row goes in only while the key is still live, so of two racing revocations one is recorded.
        await db.batch([
          guardedInsert(
            db,
            auditLogs,
            auditEntry(c, { action: "api_key.revoked", target: { type: "api_key", id: key.id }, metadata: { prefix: key.prefix } }),
            sql`exists (select 1 from ${apiKeys} where ${stillLive})`,
          ),
          db.update(apiKeys).set({ revokedAt: now, previousKeyExpiresAt: null, updatedAt: now }).where(stillLive),
        ]);
      }
      apiKeyCache.evictId(key.id);
      return c.body(null, 204);
    },
  )

  .post(
    "/:id/rotate",
    describe({
      summary: "Rotate an API key's secret",
      description: "The old secret keeps working for a grace period (`previousKeyExpiresAt`).",
      requestBody: { schema: apiKeyRotateBody, required: false },
      responses: { 200: ["The key, with its new secret", apiKeyWithSecretSchema] },
      errors: ["not_found", "conflict"],
    }),
    validate("param", apiKeyIdParam),
    async (c) => {
      const key = await actOnKey(c, c.req.valid("param").id, "api_key.rotated");
      const { gracePeriodSeconds = 0 } = await optionalJson(c, apiKeyRotateBody);
      const now = clock.now();
      const status = keyStatus(key, now);
      if (status !== "active") {
        await writeAudit(c, {
          action: "api_key.rotated",
          status: "FAILURE",
          target: { type: "api_key", id: key.id },
          metadata: { reason: status },
        });
        throw new ApiError("conflict", `A ${status} API key cannot be rotated.`);
      }

      const secret = newApiKeySecret();
      const rotated: ApiKey = {
        ...key,
        prefix: apiKeyDisplayPrefix(secret),
        keyHash: await sha256Hex(secret),
        previousKeyHash: key.keyHash,
        previousKeyExpiresAt: gracePeriodSeconds > 0 ? now + gracePeriodSeconds * 1000 : null,
        updatedAt: now,
      };
      const db = c.var.db;
      // Only from the secret that was read, on a live key, by a live credential: of two racing rotations
      // one wins and the other is told so, instead of both handing out secrets of which one never works.
      const [updated] = await db.batch([
        db
          .update(apiKeys)
          .set({
            prefix: rotated.prefix,
            keyHash: rotated.keyHash,
            previousKeyHash: rotated.previousKeyHash,
            previousKeyExpiresAt: rotated.previousKeyExpiresAt,
            updatedAt: now,
          })
          .where(and(eq(apiKeys.id, key.id), eq(apiKeys.keyHash, key.keyHash), isNull(apiKeys.revokedAt), credentialStillLive(authOf(c)))),
        guardedInsert(
          db,
          auditLogs,
          auditEntry(c, {
            action: "api_key.rotated",
            target: { type: "api_key", id: key.id },
            before: { prefix: key.prefix },
            after: { prefix: rotated.prefix },
            metadata: { gracePeriodSeconds },
          }),
          sql`exists (select 1 from ${apiKeys} where ${apiKeys.id} = ${key.id} and ${apiKeys.keyHash} = ${rotated.keyHash})`,
        ),
      ]);
      apiKeyCache.evictId(key.id);
      if (updated.meta.changes === 0) {
        throw new ApiError("conflict", "The API key was rotated or revoked by another request just now; read it again.");
      }
      c.header("Cache-Control", "no-store");
      return c.json({ ...presentApiKey(rotated), key: secret });
    },
  );

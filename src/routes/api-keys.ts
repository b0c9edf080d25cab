import { and, count, desc, eq, isNull, lt, or, gt } from "drizzle-orm";
import { Hono, type Context } from "hono";
import type { ZodType, z } from "zod";
import { auditInsert, writeAudit } from "../lib/audit/writer";
import { apiKeyCache } from "../lib/auth/api-keys";
import { pendingApiKeyUse } from "../lib/auth/api-key-usage";
import { apiKeyDisplayPrefix, newApiKeySecret, sha256Hex } from "../lib/auth/tokens";
import { clock, iso, isoOrNull } from "../lib/clock";
import { ApiError, zodIssuesToFieldErrors } from "../lib/errors";
import { newId } from "../lib/ids";
import { decodeCursor, idCursor, paginationQuery, toPage } from "../lib/validation/pagination";
import { validate } from "../lib/validation/validate";
import { API_KEY_MAX_LIFETIME_MS, apiKeyCreateBody, apiKeyIdParam, apiKeyRotateBody } from "../lib/validation/api-keys";
import { authOf, requireScope } from "../middleware/auth";
import { rateLimit } from "../middleware/rate-limit";
import { apiKeys, type ApiKey } from "../db/schema";
import type { AppEnv } from "../env";

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
    previousKeyExpiresAt: key.previousKeyExpiresAt !== null && key.previousKeyExpiresAt > clock.now() ? iso(key.previousKeyExpiresAt) : null,
    createdAt: iso(key.createdAt),
    updatedAt: iso(key.updatedAt),
  };
}

/** The caller's own key, or 404: another user's key id answers exactly like one that does not exist. */
async function ownKey(c: Context<AppEnv>, id: string): Promise<ApiKey> {
  const key = await c.var.db
    .select()
    .from(apiKeys)
    .where(and(eq(apiKeys.id, id), eq(apiKeys.ownerId, authOf(c).userId)))
    .get();
  if (!key) throw ApiError.notFound("API key");
  return key;
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

  .post("/", validate("json", apiKeyCreateBody), async (c) => {
    const auth = authOf(c);
    const body = c.req.valid("json");
    const db = c.var.db;
    const now = clock.now();

    // A key can hold only what its creator holds: a session's role scopes, or the calling key's own.
    const notHeld = body.scopes.find((scope) => !auth.scopes.has(scope as never));
    if (notHeld) {
      await writeAudit(c, { action: "api_key.created", status: "FAILURE", metadata: { reason: "scope_not_held", scope: notHeld } });
      throw new ApiError("insufficient_scope", `You cannot grant the "${notHeld}" scope: you do not hold it.`, { extensions: { scope: notHeld } });
    }
    const expiresAt = body.expiresAt ? Date.parse(body.expiresAt) : null;
    if (expiresAt !== null && (expiresAt <= now || expiresAt > now + API_KEY_MAX_LIFETIME_MS)) {
      throw ApiError.validation([{ path: "expiresAt", message: "Must be in the future and at most 366 days away" }]);
    }
    const [active] = await db
      .select({ n: count() })
      .from(apiKeys)
      .where(and(eq(apiKeys.ownerId, auth.userId), isNull(apiKeys.revokedAt), or(isNull(apiKeys.expiresAt), gt(apiKeys.expiresAt, now))));
    if ((active?.n ?? 0) >= MAX_ACTIVE_API_KEYS) {
      throw new ApiError("conflict", `You already hold ${MAX_ACTIVE_API_KEYS} active API keys; revoke one first.`);
    }

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
    await db.batch([
      db.insert(apiKeys).values(key),
      auditInsert(c, { action: "api_key.created", target: { type: "api_key", id: key.id }, after: auditable }),
    ]);
    c.header("Cache-Control", "no-store");
    return c.json({ ...presentApiKey(key), key: secret }, 201);
  })

  .get("/", validate("query", paginationQuery), async (c) => {
    const { limit, cursor } = c.req.valid("query");
    const after = cursor ? decodeCursor(cursor, idCursor).id : null;
    const rows = await c.var.db
      .select()
      .from(apiKeys)
      .where(and(eq(apiKeys.ownerId, authOf(c).userId), after ? lt(apiKeys.id, after) : undefined))
      .orderBy(desc(apiKeys.id))
      .limit(limit + 1);
    return c.json(toPage(rows, limit, (row) => ({ id: row.id }), presentApiKey));
  })

  .get("/:id", validate("param", apiKeyIdParam), async (c) => {
    return c.json(presentApiKey(await ownKey(c, c.req.valid("param").id)));
  })

  .delete("/:id", validate("param", apiKeyIdParam), async (c) => {
    const key = await ownKey(c, c.req.valid("param").id);
    if (key.revokedAt === null) {
      const now = clock.now();
      const db = c.var.db;
      await db.batch([
        db.update(apiKeys).set({ revokedAt: now, previousKeyExpiresAt: null, updatedAt: now }).where(eq(apiKeys.id, key.id)),
        auditInsert(c, { action: "api_key.revoked", target: { type: "api_key", id: key.id }, metadata: { prefix: key.prefix } }),
      ]);
    }
    apiKeyCache.evictId(key.id);
    return c.body(null, 204);
  })

  .post("/:id/rotate", validate("param", apiKeyIdParam), async (c) => {
    const key = await ownKey(c, c.req.valid("param").id);
    const { gracePeriodSeconds = 0 } = await optionalJson(c, apiKeyRotateBody);
    const now = clock.now();
    const status = keyStatus(key, now);
    if (status !== "active") {
      await writeAudit(c, { action: "api_key.rotated", status: "FAILURE", target: { type: "api_key", id: key.id }, metadata: { reason: status } });
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
    await db.batch([
      db
        .update(apiKeys)
        .set({
          prefix: rotated.prefix,
          keyHash: rotated.keyHash,
          previousKeyHash: rotated.previousKeyHash,
          previousKeyExpiresAt: rotated.previousKeyExpiresAt,
          updatedAt: now,
        })
        .where(eq(apiKeys.id, key.id)),
      auditInsert(c, {
        action: "api_key.rotated",
        target: { type: "api_key", id: key.id },
        before: { prefix: key.prefix },
        after: { prefix: rotated.prefix },
        metadata: { gracePeriodSeconds },
      }),
    ]);
    apiKeyCache.evictId(key.id);
    c.header("Cache-Control", "no-store");
    return c.json({ ...presentApiKey(rotated), key: secret });
  });

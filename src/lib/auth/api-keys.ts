import { eq, or, sql, type SQL } from "drizzle-orm";
import type { AuthContext } from "./context";
import { CredentialCache } from "./credential-cache";
import { isScope, scopesOfRole, type Scope } from "./scopes";
import { userProfileColumns, type UserProfile } from "../users/present";
import { apiKeys, users, type Role } from "../../db/schema";
import type { Database } from "../../db";

/** What the auth middleware needs to know about a presented API key, as read from D1 (and cached briefly). */
export interface ApiKeyRecord {
  id: string;
  userId: string;
  /** The owner's profile, read in the same query (the auth context carries it, so `/v1/me` needs no query). */
  user: UserProfile;
  scopes: string[];
  /** Whether the presented secret is the key's current one or the one it replaced at its last rotation. */
  matched: "current" | "previous";
  previousKeyExpiresAt: number | null;
  expiresAt: number | null;
  revokedAt: number | null;
  rateLimit: { limit: number; windowSeconds: number } | null;
}

export const apiKeyCache = new CredentialCache<ApiKeyRecord>();

export async function findApiKey(db: Database, keyHash: string): Promise<ApiKeyRecord | null> {
  const cached = apiKeyCache.get(keyHash);
  if (cached) return cached;
  const [row] = await db
    .select({
      id: apiKeys.id,
      userId: apiKeys.ownerId,
      user: userProfileColumns,
      scopes: apiKeys.scopes,
      keyHash: apiKeys.keyHash,
      previousKeyExpiresAt: apiKeys.previousKeyExpiresAt,
      expiresAt: apiKeys.expiresAt,
      revokedAt: apiKeys.revokedAt,
      rateLimitLimit: apiKeys.rateLimitLimit,
      rateLimitWindowSeconds: apiKeys.rateLimitWindowSeconds,
    })
    .from(apiKeys)
    .innerJoin(users, eq(users.id, apiKeys.ownerId))
    .where(or(eq(apiKeys.keyHash, keyHash), eq(apiKeys.previousKeyHash, keyHash)))
    .limit(1);
  if (!row) return null;
  const record: ApiKeyRecord = {
    id: row.id,
    userId: row.userId,
    user: row.user,
    scopes: row.scopes,
    matched: row.keyHash === keyHash ? "current" : "previous",
    previousKeyExpiresAt: row.previousKeyExpiresAt,
    expiresAt: row.expiresAt,
    revokedAt: row.revokedAt,
    rateLimit:
      row.rateLimitLimit != null && row.rateLimitWindowSeconds != null
        ? { limit: row.rateLimitLimit, windowSeconds: row.rateLimitWindowSeconds }
        : null,
  };
  apiKeyCache.set(keyHash, record);
  return record;
}

/**
 * A key's effective scopes: those it was granted that its owner's role still holds, so demoting a user
 * narrows their keys at once instead of leaving them more powerful than their owner.
 */
export function effectiveKeyScopes(granted: readonly string[], role: Role): Set<Scope> {
  const allowed = scopesOfRole(role);
  return new Set(granted.filter((scope): scope is Scope => isScope(scope) && allowed.has(scope)));
}

/**
 * The first scope of `target` (a key of the caller's own user) that the caller does not hold, or
 * null when the caller may read, rotate or revoke it. A session may act on every key of its user; an
 * API key only on itself and on keys holding nothing it lacks, so a key allowed `api_keys:manage`
 * can never take over (or learn the new secret of) a stronger sibling.
 */
export function scopeLackedFor(auth: AuthContext, target: { id: string; scopes: readonly string[] }): string | null {
  if (auth.kind !== "api_key" || auth.apiKeyId === target.id) return null;
  return target.scopes.find((scope) => !isScope(scope) || !auth.scopes.has(scope)) ?? null;
}

/** `scopeLackedFor(...) === null` as SQL over `api_keys`, so a listing pages over only the keys it may show. */
export function actableKeys(auth: AuthContext): SQL | undefined {
  if (auth.kind !== "api_key") return undefined;
  const held = sql.join(
    [...auth.scopes].map((scope) => sql`${scope}`),
    sql`, `,
  );
  return sql`(${apiKeys.id} = ${auth.apiKeyId ?? ""} or not exists (select 1 from json_each(${apiKeys.scopes}) where json_each.value not in (${held})))`;
}

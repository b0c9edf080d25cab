import { and, eq, isNull, sql, type SQL } from "drizzle-orm";
import { apiKeyCache } from "./api-keys";
import type { AuthContext } from "./context";
import { sessionCache } from "./sessions";
import { apiKeys, sessions, users } from "../../db/schema";
import type { Database } from "../../db";

/**
 * True, when the statement runs, while the credential behind `auth` is still unrevoked. A change made
 * through a credential carries it as its guard, so a key minted or rotated by a session that is being
 * revoked at the same moment either lands before the revocation (and is swept by it) or not at all.
 */
export function credentialStillLive(auth: AuthContext): SQL {
  return auth.kind === "api_key"
    ? sql`exists (select 1 from ${apiKeys} where ${apiKeys.id} = ${auth.apiKeyId ?? ""} and ${apiKeys.revokedAt} is null)`
    : sql`exists (select 1 from ${sessions} where ${sessions.id} = ${auth.sessionId ?? ""} and ${sessions.revokedAt} is null)`;
}

/**
 * Revokes every live API key of a user (un-executed statement, for the caller's batch); with
 * `when = false` it matches nothing, so a batch can keep one shape whether or not keys go, and with
 * SQL it revokes only if that holds when the batch runs (a token still unused).
 */
export function revokeAllApiKeysStatement(db: Database, userId: string, now: number, when: boolean | SQL = true) {
  return db
    .update(apiKeys)
    .set({ revokedAt: now, previousKeyExpiresAt: null, updatedAt: now })
    .where(and(eq(apiKeys.ownerId, userId), isNull(apiKeys.revokedAt), when === true ? undefined : when === false ? sql`0` : when));
}

/**
 * Withdraws the trust of every device token issued to a user so far (un-executed statement): a client
 * that signed in before this moment shares the per-account login limit again until it signs in anew.
 */
export function resetTrustedDevicesStatement(db: Database, userId: string, now: number) {
  return db.update(users).set({ trustedDevicesResetAt: now }).where(eq(users.id, userId));
}

/** Drops a user's cached credentials in this isolate (other isolates follow within the cache's 5 s). */
export function forgetCachedCredentials(userId: string, options: { keepSessionId?: string; apiKeys: boolean }): void {
  sessionCache.evict((session) => session.userId === userId && session.id !== options.keepSessionId);
  if (options.apiKeys) apiKeyCache.evictUser(userId);
}

import { and, eq, isNull, ne, type SQL } from "drizzle-orm";
import { clock } from "../clock";
import { newId } from "../ids";
import { CredentialCache } from "./credential-cache";
import { newSessionToken, sha256Hex } from "./tokens";
import { userProfileColumns, type UserProfile } from "../users/present";
import { sessions, users, type NewSession } from "../../db/schema";
import type { Database } from "../../db";

/** What the auth middleware needs to know about a session, as read from D1 (and cached briefly). */
export interface SessionRecord {
  id: string;
  userId: string;
  /** The user's profile, read in the same query (the auth context carries it, so `/v1/me` needs no query). */
  user: UserProfile;
  expiresAt: number;
  revokedAt: number | null;
}

export const sessionCache = new CredentialCache<SessionRecord>();

export interface NewSessionData {
  token: string;
  row: NewSession;
}

/** A fresh session for `userId`: the token to hand out once and the row (hash only) to insert. */
export async function newSession(
  userId: string,
  ttlSeconds: number,
  client: { ip: string | null; userAgent: string | null },
): Promise<NewSessionData> {
  const token = newSessionToken();
  const now = clock.now();
  return {
    token,
    row: {
      id: newId("session", now),
      userId,
      tokenHash: await sha256Hex(token),
      createdAt: now,
      expiresAt: now + ttlSeconds * 1000,
      ip: client.ip,
      userAgent: client.userAgent,
    },
  };
}

export async function findSession(db: Database, tokenHash: string): Promise<SessionRecord | null> {
  const cached = sessionCache.get(tokenHash);
  if (cached) return cached;
  const [row] = await db
    .select({
      id: sessions.id,
      userId: sessions.userId,
      user: userProfileColumns,
      expiresAt: sessions.expiresAt,
      revokedAt: sessions.revokedAt,
    })
    .from(sessions)
    .innerJoin(users, eq(users.id, sessions.userId))
    .where(eq(sessions.tokenHash, tokenHash))
    .limit(1);
  if (!row) return null;
  sessionCache.set(tokenHash, row);
  return row;
}

/** Revokes one session (un-executed statement, for the caller's batch). */
export function revokeSessionStatement(db: Database, sessionId: string, now: number) {
  return db
    .update(sessions)
    .set({ revokedAt: now })
    .where(and(eq(sessions.id, sessionId), isNull(sessions.revokedAt)));
}

/**
 * Revokes every live session of a user except `keepSessionId` (un-executed, for the caller's batch);
 * with `when`, only if that holds when the batch runs.
 */
export function revokeOtherSessionsStatement(db: Database, userId: string, keepSessionId: string | undefined, now: number, when?: SQL) {
  return db
    .update(sessions)
    .set({ revokedAt: now })
    .where(and(eq(sessions.userId, userId), isNull(sessions.revokedAt), keepSessionId ? ne(sessions.id, keepSessionId) : undefined, when));
}

import { inArray, sql } from "drizzle-orm";
import { sessions } from "../../db/schema";
import type { Database } from "../../db";

/**
 * When each session was last used, kept in the isolate and written at most every
 * SESSION_ACTIVITY_FLUSH_INTERVAL_MS in one statement, so using a session costs no D1 write. Like API
 * key usage, a value still pending when an isolate is evicted is lost (it is informational).
 */
const SESSION_ACTIVITY_FLUSH_INTERVAL_MS = 60_000;

const pending = new Map<string, number>();
let lastFlushAt = Number.NEGATIVE_INFINITY;

export function trackSessionSeen(sessionId: string, now: number): void {
  pending.set(sessionId, Math.max(pending.get(sessionId) ?? 0, now));
}

export function pendingSessionSeen(sessionId: string): number | undefined {
  return pending.get(sessionId);
}

export function takeDueSessionActivity(now: number): Map<string, number> | null {
  const sinceLast = now - lastFlushAt;
  // A negative interval means the clock moved back (tests): flush rather than wait for it to catch up.
  if (pending.size === 0 || (sinceLast >= 0 && sinceLast < SESSION_ACTIVITY_FLUSH_INTERVAL_MS)) return null;
  lastFlushAt = now;
  const batch = new Map(pending);
  pending.clear();
  return batch;
}

/** One UPDATE for the whole batch: `last_seen_at = CASE id WHEN … END`. */
export async function writeSessionActivity(db: Database, batch: Map<string, number>): Promise<void> {
  if (batch.size === 0) return;
  const cases = sql.join(
    [...batch].map(([id, seenAt]) => sql`WHEN ${id} THEN ${seenAt}`),
    sql` `,
  );
  try {
    await db
      .update(sessions)
      .set({ lastSeenAt: sql`max(coalesce(${sessions.lastSeenAt}, 0), CASE ${sessions.id} ${cases} END)` })
      .where(inArray(sessions.id, [...batch.keys()]));
  } catch (error) {
    for (const [id, seenAt] of batch) trackSessionSeen(id, seenAt);
    throw error;
  }
}

import { sql } from "drizzle-orm";
import { apiKeys } from "../../db/schema";
import type { Database } from "../../db";

/**
 * API-key usage (count and last use) is counted in the isolate and written to D1 in one batch at
 * most every USAGE_FLUSH_INTERVAL_MS, so a request authenticated by a key costs no D1 write. Counts
 * still pending when an isolate is evicted are lost: the figures are for owners' information, not billing.
 */
export const USAGE_FLUSH_INTERVAL_MS = 5_000;

interface Usage {
  count: number;
  lastUsedAt: number;
}

const pending = new Map<string, Usage>();
let lastFlushAt = Number.NEGATIVE_INFINITY;

export function trackApiKeyUse(keyId: string, now: number): void {
  const usage = pending.get(keyId);
  if (usage) {
    usage.count += 1;
    usage.lastUsedAt = Math.max(usage.lastUsedAt, now);
  } else {
    pending.set(keyId, { count: 1, lastUsedAt: now });
  }
}

/** Uses counted here but not yet written, so an owner's listing is not behind by a few seconds. */
export function pendingApiKeyUse(keyId: string): Usage | undefined {
  return pending.get(keyId);
}

/** Takes every pending count when a flush is due (and none when it is not), leaving the map empty. */
export function takeDueApiKeyUsage(now: number): Map<string, Usage> | null {
  const sinceLast = now - lastFlushAt;
  // A negative interval means the clock moved back (tests): flush rather than wait for it to catch up.
  if (pending.size === 0 || (sinceLast >= 0 && sinceLast < USAGE_FLUSH_INTERVAL_MS)) return null;
  lastFlushAt = now;
  const batch = new Map(pending);
  pending.clear();
  return batch;
}

/** Writes a batch in one D1 round trip; on failure the counts go back to pending for the next flush. */
export async function writeApiKeyUsage(db: Database, batch: Map<string, Usage>): Promise<void> {
  const statements = [...batch].map(([keyId, usage]) =>
    db
      .update(apiKeys)
      .set({
        usageCount: sql`${apiKeys.usageCount} + ${usage.count}`,
        lastUsedAt: sql`max(coalesce(${apiKeys.lastUsedAt}, 0), ${usage.lastUsedAt})`,
      })
      .where(sql`${apiKeys.id} = ${keyId}`),
  );
  try {
    if (statements.length > 0) await db.batch(statements as [(typeof statements)[0], ...typeof statements]);
  } catch (error) {
    for (const [keyId, usage] of batch) {
      const current = pending.get(keyId);
      if (current) {
        current.count += usage.count;
        current.lastUsedAt = Math.max(current.lastUsedAt, usage.lastUsedAt);
      } else {
        pending.set(keyId, { ...usage });
      }
    }
    throw error;
  }
}

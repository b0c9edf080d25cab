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
/** Counts taken for a flush whose write has not finished yet: still shown to owners, never lost. */
const inFlight = new Map<string, Usage>();
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
  const waiting = pending.get(keyId);
  const writing = inFlight.get(keyId);
  if (!waiting || !writing) return waiting ?? writing;
  return { count: waiting.count + writing.count, lastUsedAt: Math.max(waiting.lastUsedAt, writing.lastUsedAt) };
}

function addTo(map: Map<string, Usage>, keyId: string, usage: Usage): void {
  const current = map.get(keyId);
  if (current) {
    current.count += usage.count;
    current.lastUsedAt = Math.max(current.lastUsedAt, usage.lastUsedAt);
  } else {
    map.set(keyId, { ...usage });
  }
}

function subtractFrom(map: Map<string, Usage>, keyId: string, usage: Usage): void {
  const current = map.get(keyId);
  if (!current) return;
  current.count -= usage.count;
  if (current.count <= 0) map.delete(keyId);
}

/** Takes every pending count when a flush is due (and none when it is not), leaving the map empty. */
export function takeDueApiKeyUsage(now: number): Map<string, Usage> | null {
  const sinceLast = now - lastFlushAt;
  // A negative interval means the clock moved back (tests): flush rather than wait for it to catch up.
  if (pending.size === 0 || (sinceLast >= 0 && sinceLast < USAGE_FLUSH_INTERVAL_MS)) return null;
  lastFlushAt = now;
  const batch = new Map(pending);
  pending.clear();
  for (const [keyId, usage] of batch) addTo(inFlight, keyId, usage);
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
    for (const [keyId, usage] of batch) addTo(pending, keyId, usage);
    throw error;
  } finally {
    for (const [keyId, usage] of batch) subtractFrom(inFlight, keyId, usage);
  }
}

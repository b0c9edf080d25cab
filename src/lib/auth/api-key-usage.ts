import { sql } from "drizzle-orm";
import { apiKeys } from "../../db/schema";
import type { Database } from "../../db";
import { UsageTally, type Usage } from "../usage-tally";

/**
 * API-key usage (count and last use) is counted in the isolate and written to D1 in one batch at
 * most every USAGE_FLUSH_INTERVAL_MS, so a request authenticated by a key costs no D1 write. Counts
 * still pending when an isolate is evicted are lost: the figures are for owners' information, not billing.
 */
const USAGE_FLUSH_INTERVAL_MS = 5_000;

const tally = new UsageTally(USAGE_FLUSH_INTERVAL_MS);

export function trackApiKeyUse(keyId: string, now: number): void {
  tally.track(keyId, now);
}

/** Uses counted here but not yet written, so an owner's listing is not behind by a few seconds. */
export function pendingApiKeyUse(keyId: string): Usage | undefined {
  return tally.pending(keyId);
}

/** Takes every pending count when a flush is due (and none when it is not). */
export function takeDueApiKeyUsage(now: number): Map<string, Usage> | null {
  return tally.takeDue(now);
}

/** Writes a batch in one D1 round trip; on failure the counts go back to pending for the next flush. */
export async function writeApiKeyUsage(db: Database, batch: Map<string, Usage>): Promise<void> {
  await tally.write(batch, () => {
    const statements = [...batch].map(([keyId, usage]) =>
      db
        .update(apiKeys)
        .set({
          usageCount: sql`${apiKeys.usageCount} + ${usage.count}`,
          lastUsedAt: sql`max(coalesce(${apiKeys.lastUsedAt}, 0), ${usage.lastUsedAt})`,
        })
        .where(sql`${apiKeys.id} = ${keyId}`),
    );
    return db.batch(statements as [(typeof statements)[0], ...typeof statements]);
  });
}

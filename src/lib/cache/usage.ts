import { sql } from "drizzle-orm";
import { cacheEntries } from "../../db/schema";
import type { Database } from "../../db";
import { UsageTally, type Usage } from "../usage-tally";

/** Hit counts and last access reach D1 at most this often per isolate, in one batch. */
export const HIT_FLUSH_INTERVAL_MS = 5_000;
/** Keys per UPDATE: the counts travel as one bound JSON text per statement. */
const KEYS_PER_STATEMENT = 500;

/** Cache hits per key, counted in the isolate so a hit costs no D1 write (see UsageTally). */
export class HitCounter {
  private readonly tally = new UsageTally(HIT_FLUSH_INTERVAL_MS);

  hit(key: string, now: number): void {
    this.tally.track(key, now);
  }

  pending(key: string): Usage | undefined {
    return this.tally.pending(key);
  }

  /** Keys with hits not yet handed out for writing. */
  get pendingKeys(): number {
    return this.tally.size;
  }

  /** When a flush is due, the write of every pending count (one D1 batch) to hand to waitUntil; otherwise null. */
  takeDueWrite(db: Database, now: number): Promise<void> | null {
    const batch = this.tally.takeDue(now);
    if (!batch) return null;
    return this.tally.write(batch, () => {
      const entries = [...batch];
      const statements = [];
      for (let i = 0; i < entries.length; i += KEYS_PER_STATEMENT) {
        const counts = Object.fromEntries(
          entries.slice(i, i + KEYS_PER_STATEMENT).map(([key, usage]) => [key, { n: usage.count, t: usage.lastUsedAt }]),
        );
        const json = JSON.stringify(counts);
        const counted = (field: "n" | "t") =>
          sql`(SELECT json_extract(j.value, ${`$.${field}`}) FROM json_each(${json}) AS j WHERE j.key = cache_entries.key)`;
        statements.push(
          db
            .update(cacheEntries)
            .set({
              hitCount: sql`${cacheEntries.hitCount} + ${counted("n")}`,
              lastAccessedAt: sql`max(coalesce(${cacheEntries.lastAccessedAt}, 0), ${counted("t")})`,
            })
            .where(sql`${cacheEntries.key} IN (SELECT key FROM json_each(${json}))`),
        );
      }
      return db.batch(statements as [(typeof statements)[0], ...typeof statements]);
    });
  }
}

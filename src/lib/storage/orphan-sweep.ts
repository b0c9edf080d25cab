import { eq } from "drizzle-orm";
import { fileSweepCursors } from "../../db/schema";
import type { Database } from "../../db";
import type { FileArea } from "./areas";

export interface SweepLimits {
  /** Objects older than this may go; a younger one may belong to a write still in flight. */
  graceMs: number;
  /** Objects per R2 list call (R2's maximum is 1000). */
  pageSize?: number;
  /** List calls per area per run; the next run continues where this one stopped. */
  maxPages?: number;
}

export type AreaSweep = { listed: number; deleted: number; complete: boolean };

/**
 * One bounded pass over an area of the bucket: lists from where the last run stopped, deletes the
 * objects past the grace period that the area's owner no longer needs, and records where it got to
 * (or forgets its place once it reached the end, so the next run starts over).
 */
export async function sweepArea(db: Database, bucket: R2Bucket, area: FileArea, now: number, limits: SweepLimits): Promise<AreaSweep> {
  const { graceMs, pageSize = 1000, maxPages = 10 } = limits;
  const saved = await db.select().from(fileSweepCursors).where(eq(fileSweepCursors.prefix, area.prefix)).get();
  let startAfter = saved?.startAfter;
  let cursor: string | undefined;
  let listed = 0;
  let deleted = 0;
  for (let page = 0; page < maxPages; page++) {
    const listing = await bucket.list({ prefix: area.prefix, limit: pageSize, ...(cursor ? { cursor } : { startAfter }) });
    listed += listing.objects.length;
    const old = listing.objects.filter((object) => object.uploaded.getTime() < now - graceMs);
    const oldKeys = new Set(old.map((object) => object.key));
    // Whatever an area answers, nothing young and nothing outside this page is ever deleted.
    const doomed = old.length > 0 ? (await area.unneeded(db, old, now)).filter((key) => oldKeys.has(key)) : [];
    if (doomed.length > 0) {
      await bucket.delete(doomed);
      deleted += doomed.length;
    }
    startAfter = listing.objects.at(-1)?.key ?? startAfter;
    if (!listing.truncated) {
      await db.delete(fileSweepCursors).where(eq(fileSweepCursors.prefix, area.prefix));
      return { listed, deleted, complete: true };
    }
    cursor = listing.cursor;
  }
  if (startAfter) {
    await db
      .insert(fileSweepCursors)
      .values({ prefix: area.prefix, startAfter, updatedAt: now })
      .onConflictDoUpdate({ target: fileSweepCursors.prefix, set: { startAfter, updatedAt: now } });
  }
  return { listed, deleted, complete: false };
}

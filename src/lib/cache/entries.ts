import { asc, count, desc, eq, sql } from "drizzle-orm";
import { cacheEntries } from "../../db/schema";
import type { Database } from "../../db";
import type { TagVersionMap } from "./tag-versions";

/** An entry as both tiers hold it: the value's JSON text, the tag versions it was read under, and its expiry. */
export interface StoredEntry {
  json: string;
  tagVersions: TagVersionMap;
  expiresAt: number;
}

/** Approximate size of an entry: characters of its key and JSON (bytes for ASCII). */
export const entryBytes = (key: string, json: string) => key.length + json.length;

export async function readEntry(db: Database, key: string): Promise<StoredEntry | null> {
  const row = await db
    .select({ json: cacheEntries.value, tagVersions: cacheEntries.tagVersions, expiresAt: cacheEntries.expiresAt })
    .from(cacheEntries)
    .where(eq(cacheEntries.key, key))
    .get();
  // The cache always stores an expiry: a row without one was not written by it.
  if (!row || row.expiresAt === null) return null;
  return { json: row.json, tagVersions: row.tagVersions, expiresAt: row.expiresAt };
}

/** Stores (or replaces) the shared row; `missed` counts a load toward the key's hit ratio. Hit counts carry over. */
export function writeEntry(db: Database, key: string, entry: StoredEntry, now: number, missed: boolean) {
  return db
    .insert(cacheEntries)
    .values({
      key,
      value: entry.json,
      tags: Object.keys(entry.tagVersions),
      tagVersions: entry.tagVersions,
      expiresAt: entry.expiresAt,
      missCount: missed ? 1 : 0,
      createdAt: now,
    })
    .onConflictDoUpdate({
      target: cacheEntries.key,
      set: {
        value: sql`excluded.value`,
        tags: sql`excluded.tags`,
        tagVersions: sql`excluded.tag_versions`,
        expiresAt: sql`excluded.expires_at`,
        missCount: sql`${cacheEntries.missCount} + excluded.miss_count`,
        createdAt: sql`excluded.created_at`,
      },
    });
}

/** Deletes every shared row carrying `tag` (for the caller's batch). */
export function deleteEntriesTagged(db: Database, tag: string) {
  return db.delete(cacheEntries).where(sql`EXISTS (SELECT 1 FROM json_each(${cacheEntries.tags}) WHERE value = ${tag})`);
}

export interface SharedStats {
  entries: number;
  expiredEntries: number;
  approximateBytes: number;
  hits: number;
  misses: number;
  hitRatio: number | null;
  topEntries: {
    key: string;
    tags: string[];
    hits: number;
    misses: number;
    approximateBytes: number;
    lastAccessedAt: number | null;
    expiresAt: number | null;
    createdAt: number;
  }[];
}

export const ratio = (hits: number, misses: number) => (hits + misses > 0 ? Math.round((hits / (hits + misses)) * 10_000) / 10_000 : null);

/** What D1 holds, over every isolate: entries, size, flushed hits and misses, and the most hit keys. */
export async function sharedStats(db: Database, now: number, top = 10): Promise<SharedStats> {
  const [[totals], topRows] = await db.batch([
    db
      .select({
        entries: count(),
        expiredEntries: sql<number>`coalesce(sum(${cacheEntries.expiresAt} <= ${now}), 0)`,
        approximateBytes: sql<number>`coalesce(sum(length(${cacheEntries.key}) + length(${cacheEntries.value})), 0)`,
        hits: sql<number>`coalesce(sum(${cacheEntries.hitCount}), 0)`,
        misses: sql<number>`coalesce(sum(${cacheEntries.missCount}), 0)`,
      })
      .from(cacheEntries),
    db
      .select({
        key: cacheEntries.key,
        tags: cacheEntries.tags,
        hits: cacheEntries.hitCount,
        misses: cacheEntries.missCount,
        approximateBytes: sql<number>`length(${cacheEntries.key}) + length(${cacheEntries.value})`,
        lastAccessedAt: cacheEntries.lastAccessedAt,
        expiresAt: cacheEntries.expiresAt,
        createdAt: cacheEntries.createdAt,
      })
      .from(cacheEntries)
      .orderBy(desc(cacheEntries.hitCount), asc(cacheEntries.key))
      .limit(top),
  ]);
  const { entries, expiredEntries, approximateBytes, hits, misses } = totals!;
  return { entries, expiredEntries, approximateBytes, hits, misses, hitRatio: ratio(hits, misses), topEntries: topRows };
}

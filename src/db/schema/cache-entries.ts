import { index, integer, sqliteTable, text } from "drizzle-orm/sqlite-core";

/** The shared tier of the cache (src/lib/cache): one row per key, readable by every isolate. */
export const cacheEntries = sqliteTable(
  "cache_entries",
  {
    key: text("key").primaryKey(),
    /** Serialised value (JSON text). */
    value: text("value").notNull(),
    /** Invalidation tags, e.g. ["test:tst_…"]. */
    tags: text("tags", { mode: "json" }).$type<string[]>().notNull().default([]),
    /** The version of each tag (cache_tags) when the value was read: a bumped tag makes the row stale. */
    tagVersions: text("tag_versions", { mode: "json" }).$type<Record<string, number>>().notNull().default({}),
    /** Null = no expiry. */
    expiresAt: integer("expires_at"),
    hitCount: integer("hit_count").notNull().default(0),
    /** How often the value had to be loaded (a miss that ran the loader and stored its result). */
    missCount: integer("miss_count").notNull().default(0),
    lastAccessedAt: integer("last_accessed_at"),
    createdAt: integer("created_at").notNull(),
  },
  (t) => [index("cache_entries_expires_at_idx").on(t.expiresAt)],
);

export type CacheEntry = typeof cacheEntries.$inferSelect;
export type NewCacheEntry = typeof cacheEntries.$inferInsert;

import { index, integer, sqliteTable, text } from "drizzle-orm/sqlite-core";

export const cacheEntries = sqliteTable(
  "cache_entries",
  {
    key: text("key").primaryKey(),
    /** Serialised value (JSON text). */
    value: text("value").notNull(),
    /** Invalidation tags, e.g. ["test:tst_…"]. */
    tags: text("tags", { mode: "json" }).$type<string[]>().notNull().default([]),
    /** Null = no expiry. */
    expiresAt: integer("expires_at"),
    hitCount: integer("hit_count").notNull().default(0),
    lastAccessedAt: integer("last_accessed_at"),
    createdAt: integer("created_at").notNull(),
  },
  (t) => [index("cache_entries_expires_at_idx").on(t.expiresAt)],
);

export type CacheEntry = typeof cacheEntries.$inferSelect;
export type NewCacheEntry = typeof cacheEntries.$inferInsert;

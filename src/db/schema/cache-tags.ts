import { integer, sqliteTable, text } from "drizzle-orm/sqlite-core";

/**
 * The current version of each cache invalidation tag. A write bumps the versions of the tags it
 * changes (in the same batch as the write); a cache entry is served only while every tag it carries
 * still has the version recorded when the entry was stored. A tag with no row is at version 0.
 */
export const cacheTags = sqliteTable("cache_tags", {
  tag: text("tag").primaryKey(),
  version: integer("version").notNull(),
  updatedAt: integer("updated_at").notNull(),
});

export type CacheTag = typeof cacheTags.$inferSelect;

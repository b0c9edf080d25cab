import { integer, sqliteTable, text } from "drizzle-orm/sqlite-core";

/**
 * Where the orphan-file sweep stopped in each R2 prefix: the next run lists from after this key, so
 * a bucket of any size is covered over successive bounded runs. No row = start from the beginning.
 */
export const fileSweepCursors = sqliteTable("file_sweep_cursors", {
  prefix: text("prefix").primaryKey(),
  startAfter: text("start_after").notNull(),
  updatedAt: integer("updated_at").notNull(),
});

export type FileSweepCursor = typeof fileSweepCursors.$inferSelect;

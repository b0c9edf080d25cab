import { index, integer, sqliteTable, text } from "drizzle-orm/sqlite-core";
import { users } from "./users";

export const uploads = sqliteTable(
  "uploads",
  {
    id: text("id").primaryKey(), // upl_
    ownerId: text("owner_id")
      .notNull()
      .references(() => users.id, { onDelete: "cascade" }),
    /** R2 object key. */
    key: text("key").notNull().unique(),
    filename: text("filename").notNull(),
    /** Bytes. */
    size: integer("size").notNull(),
    contentType: text("content_type").notNull(),
    /** Hex SHA-256 of the content. */
    sha256: text("sha256").notNull(),
    /** What the file is for, e.g. "question_image", "avatar", "question_import". */
    purpose: text("purpose").notNull(),
    createdAt: integer("created_at").notNull(),
  },
  (t) => [index("uploads_owner_id_idx").on(t.ownerId)],
);

export type Upload = typeof uploads.$inferSelect;
export type NewUpload = typeof uploads.$inferInsert;

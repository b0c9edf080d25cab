import { index, integer, sqliteTable, text } from "drizzle-orm/sqlite-core";

export const SEARCH_KINDS = ["question", "test"] as const;
export type SearchKind = (typeof SEARCH_KINDS)[number];

/**
 * One searchable item, as plain text: the content table behind the FTS5 indexes `search_fts` (words)
 * and `search_trigram` (partial words, typos), which triggers keep in step (migration 0011, written by
 * hand: Drizzle has no virtual tables). Only what every reader of the item may see goes in: a
 * question's body and options, never its answer key or explanation.
 */
export const searchDocuments = sqliteTable(
  "search_documents",
  {
    /** The FTS rowid. */
    docId: integer("doc_id").primaryKey({ autoIncrement: true }),
    kind: text("kind", { enum: SEARCH_KINDS }).notNull(),
    resourceId: text("resource_id").notNull().unique(),
    ownerId: text("owner_id").notNull(),
    /** Tests: visible to students. Questions: never (they are found only by their author and admins). */
    published: integer("published", { mode: "boolean" }).notNull(),
    title: text("title").notNull(),
    body: text("body").notNull(),
    /** Subject, topic, type and difficulty words, weighted below title and body. */
    tags: text("tags").notNull(),
    subject: text("subject"),
    topic: text("topic"),
    difficulty: text("difficulty"),
    questionType: text("question_type"),
    /** The source row's change time: an older version never overwrites a newer one. */
    version: integer("version").notNull(),
    /** Tombstone of a deleted source row (kept so a late message cannot bring it back). */
    deleted: integer("deleted", { mode: "boolean" }).notNull().default(false),
    indexedAt: integer("indexed_at").notNull(),
  },
  (t) => [
    index("search_documents_kind_owner_idx").on(t.kind, t.ownerId),
    index("search_documents_kind_published_idx").on(t.kind, t.published),
  ],
);

export type SearchDocument = typeof searchDocuments.$inferSelect;
export type NewSearchDocument = typeof searchDocuments.$inferInsert;

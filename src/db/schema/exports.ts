import { index, integer, sqliteTable, text, uniqueIndex } from "drizzle-orm/sqlite-core";
import { users } from "./users";

/** What can be exported (docs/exports.md): each kind has its formats, its audience and its parameters. */
export const EXPORT_KINDS = [
  "attempt_result_card",
  "performance_report",
  "test_results",
  "test_analytics",
  "question_bank",
  "users",
  "audit_logs",
] as const;
export type ExportKind = (typeof EXPORT_KINDS)[number];

export const EXPORT_FORMATS = ["pdf", "csv", "xlsx", "json", "ndjson"] as const;
export type ExportFormat = (typeof EXPORT_FORMATS)[number];

/**
 * QUEUED → RUNNING → COMPLETED (file in R2 until `expires_at`, then EXPIRED and deleted), or FAILED,
 * or CANCELLED by its owner (a running export notices within a page of rows and stops).
 */
export const EXPORT_STATUSES = ["QUEUED", "RUNNING", "COMPLETED", "FAILED", "CANCELLED", "EXPIRED"] as const;
export type ExportStatus = (typeof EXPORT_STATUSES)[number];

export const dataExports = sqliteTable(
  "exports",
  {
    id: text("id").primaryKey(), // exp_
    ownerId: text("owner_id")
      .notNull()
      .references(() => users.id, { onDelete: "cascade" }),
    kind: text("kind", { enum: EXPORT_KINDS }).notNull(),
    format: text("format", { enum: EXPORT_FORMATS }).notNull(),
    /** The kind's validated parameters (ids, filters), as the owner asked. */
    params: text("params", { mode: "json" }).$type<Record<string, unknown>>().notNull(),
    /** CSV only: start with a UTF-8 byte-order mark, for spreadsheets that otherwise guess another encoding. */
    byteOrderMark: integer("byte_order_mark", { mode: "boolean" }).notNull().default(false),
    status: text("status", { enum: EXPORT_STATUSES }).notNull().default("QUEUED"),
    /** The client's `Idempotency-Key`: a retried request returns this export instead of starting another. */
    idempotencyKey: text("idempotency_key"),
    /** The `export.run` job (its progress is the export's). */
    jobId: text("job_id").notNull(),
    filename: text("filename").notNull(),
    contentType: text("content_type").notNull(),
    /** The file in R2 once it is complete; null before and after (expired, deleted). */
    fileKey: text("file_key"),
    sizeBytes: integer("size_bytes"),
    /** Data rows written (table exports) or pages (PDF). */
    rowCount: integer("row_count"),
    error: text("error"),
    createdAt: integer("created_at").notNull(),
    startedAt: integer("started_at"),
    completedAt: integer("completed_at"),
    expiresAt: integer("expires_at"),
    updatedAt: integer("updated_at").notNull(),
  },
  (t) => [
    index("exports_owner_id_id_idx").on(t.ownerId, t.id),
    index("exports_status_expires_at_idx").on(t.status, t.expiresAt),
    uniqueIndex("exports_owner_id_idempotency_key_idx").on(t.ownerId, t.idempotencyKey),
  ],
);

export type Export = typeof dataExports.$inferSelect;
export type NewExport = typeof dataExports.$inferInsert;

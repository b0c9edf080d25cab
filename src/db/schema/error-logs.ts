import { index, integer, sqliteTable, text } from "drizzle-orm/sqlite-core";
import { users } from "./users";

export const ERROR_SEVERITIES = ["DEBUG", "INFO", "WARNING", "ERROR", "CRITICAL"] as const;
export type ErrorSeverity = (typeof ERROR_SEVERITIES)[number];

/** Which Worker entry point (or explicit log call) recorded the error. */
export const ERROR_SOURCES = ["fetch", "queue", "scheduled", "log"] as const;
export type ErrorSource = (typeof ERROR_SOURCES)[number];

/**
 * One row per distinct error (grouped by fingerprint); repeats bump `occurrences` and
 * `last_seen_at`. A recurrence of a resolved error clears `resolved_at` again.
 */
export const errorLogs = sqliteTable(
  "error_logs",
  {
    id: text("id").primaryKey(), // err_
    severity: text("severity", { enum: ERROR_SEVERITIES }).notNull().default("ERROR"),
    message: text("message").notNull(),
    errorCode: text("error_code"),
    errorType: text("error_type"),
    stack: text("stack"),
    fingerprint: text("fingerprint").notNull().unique(),
    occurrences: integer("occurrences").notNull().default(1),
    firstSeenAt: integer("first_seen_at").notNull(),
    lastSeenAt: integer("last_seen_at").notNull(),
    source: text("source", { enum: ERROR_SOURCES }).notNull(),
    path: text("path"),
    method: text("method"),
    /** Request headers with Authorization, Cookie and other secrets redacted. */
    headers: text("headers", { mode: "json" }).$type<Record<string, string>>(),
    /** Request body, redacted and truncated. */
    body: text("body"),
    /** The server's id of the latest occurrence's request. */
    requestId: text("request_id"),
    /** That request's `X-Request-Id` as the client sent it, for correlation only. */
    clientRequestId: text("client_request_id"),
    userId: text("user_id").references(() => users.id, { onDelete: "set null" }),
    resolvedAt: integer("resolved_at"),
    resolvedBy: text("resolved_by"),
    resolutionNote: text("resolution_note"),
    /** Throttles repeated alerts for the same fingerprint. */
    lastAlertedAt: integer("last_alerted_at"),
    createdAt: integer("created_at").notNull(),
  },
  (t) => [
    index("error_logs_severity_last_seen_at_idx").on(t.severity, t.lastSeenAt),
    index("error_logs_last_seen_at_idx").on(t.lastSeenAt),
    index("error_logs_resolved_at_idx").on(t.resolvedAt),
    index("error_logs_user_id_idx").on(t.userId),
  ],
);

export type ErrorLog = typeof errorLogs.$inferSelect;
export type NewErrorLog = typeof errorLogs.$inferInsert;

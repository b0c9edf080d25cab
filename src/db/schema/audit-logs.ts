import { index, integer, primaryKey, sqliteTable, text } from "drizzle-orm/sqlite-core";

export const AUDIT_ACTIONS = [
  "auth.register",
  "auth.login",
  "auth.login_failed",
  "auth.logout",
  "auth.password_changed",
  "auth.session_revoked",
  "auth.verification_sent",
  "auth.email_verified",
  "auth.password_reset_requested",
  "auth.password_reset",
  "auth.email_change_requested",
  "auth.email_changed",
  "user.updated",
  "user.role_changed",
  "user.access_revoked",
  "user.deleted",
  "user.notifications_updated",
  "email.unsubscribed",
  "email.suppression_added",
  "email.suppression_removed",
  "api_key.created",
  "api_key.rotated",
  "api_key.revoked",
  "question.created",
  "question.updated",
  "question.deleted",
  "question.imported",
  "test.created",
  "test.updated",
  "test.deleted",
  "test.published",
  "attempt.started",
  "attempt.answered",
  "attempt.submitted",
  "attempt.graded",
  "planner.goal_created",
  "planner.goal_updated",
  "planner.goal_deleted",
  "planner.session_created",
  "planner.session_updated",
  "planner.session_deleted",
  "plan.created",
  "plan.updated",
  "coupon.created",
  "coupon.updated",
  "subscription.created",
  "subscription.activated",
  "subscription.cancelled",
  "payment.succeeded",
  "payment.failed",
  "ai.requested",
  "export.created",
  "export.cancelled",
  "export.deleted",
  "export.link_issued",
  "audit.exported",
  "upload.created",
  "webhook.created",
  "webhook.updated",
  "webhook.deleted",
  "webhook.secret_rotated",
  "webhook.replayed",
  "webhook.recovered",
  "webhook.tested",
  "event.retried",
  "job.retried",
  "job.cancelled",
  "queue.paused",
  "queue.resumed",
  "queue.cleaned",
  "error.resolved",
  "security_event.updated",
  "rate_limit.unblocked",
  "cache.invalidated",
  "admin.action",
] as const;
export type AuditAction = (typeof AUDIT_ACTIONS)[number];

export const AUDIT_STATUSES = ["SUCCESS", "FAILURE", "PENDING"] as const;
export type AuditStatus = (typeof AUDIT_STATUSES)[number];

export const ACTOR_TYPES = ["user", "api_key", "system"] as const;
export type ActorType = (typeof ACTOR_TYPES)[number];

/** Redacted before/after snapshots of the fields a mutation touched. */
export type AuditChanges = {
  before?: Record<string, unknown>;
  after?: Record<string, unknown>;
};

/**
 * Append-only. actor_id / api_key_id / target_id carry no foreign keys on purpose:
 * the trail must outlive the users, keys and rows it describes.
 */
export const auditLogs = sqliteTable(
  "audit_logs",
  {
    id: text("id").primaryKey(), // aud_
    action: text("action", { enum: AUDIT_ACTIONS }).notNull(),
    status: text("status", { enum: AUDIT_STATUSES }).notNull().default("SUCCESS"),
    actorType: text("actor_type", { enum: ACTOR_TYPES }).notNull(),
    actorId: text("actor_id"),
    apiKeyId: text("api_key_id"),
    targetType: text("target_type"),
    targetId: text("target_id"),
    changes: text("changes", { mode: "json" }).$type<AuditChanges>(),
    ip: text("ip"),
    userAgent: text("user_agent"),
    country: text("country"),
    city: text("city"),
    /** Cloudflare data centre (request.cf.colo). */
    colo: text("colo"),
    /** The server's own id for the request (`req_…`); never a value the client chose. */
    requestId: text("request_id"),
    /** The client's `X-Request-Id`, kept for correlation only. */
    clientRequestId: text("client_request_id"),
    durationMs: integer("duration_ms"),
    metadata: text("metadata", { mode: "json" }).$type<Record<string, unknown>>(),
    createdAt: integer("created_at").notNull(),
  },
  (t) => [
    index("audit_logs_created_at_idx").on(t.createdAt),
    index("audit_logs_actor_id_created_at_idx").on(t.actorId, t.createdAt),
    index("audit_logs_api_key_id_created_at_idx").on(t.apiKeyId, t.createdAt),
    index("audit_logs_action_created_at_idx").on(t.action, t.createdAt),
    index("audit_logs_target_type_target_id_idx").on(t.targetType, t.targetId),
    index("audit_logs_status_created_at_idx").on(t.status, t.createdAt),
    index("audit_logs_ip_idx").on(t.ip),
    index("audit_logs_country_idx").on(t.country),
    index("audit_logs_request_id_idx").on(t.requestId),
    index("audit_logs_client_request_id_idx").on(t.clientRequestId),
  ],
);

export type AuditLog = typeof auditLogs.$inferSelect;
export type NewAuditLog = typeof auditLogs.$inferInsert;

/**
 * Tamper evidence: one seal per hour of audit rows, hash = H(previousHash + rows of the period),
 * so editing or deleting any sealed row breaks the chain from that hour on.
 */
export const auditSeals = sqliteTable("audit_seals", {
  id: text("id").primaryKey(),
  periodStart: integer("period_start").notNull().unique(),
  periodEnd: integer("period_end").notNull(),
  rowCount: integer("row_count").notNull(),
  firstRowId: text("first_row_id"),
  lastRowId: text("last_row_id"),
  hash: text("hash").notNull(),
  /** Null only for the first seal of the chain. */
  previousHash: text("previous_hash"),
  createdAt: integer("created_at").notNull(),
  /** Set when retention deleted the period's rows: the seal stays so the chain still links across it. */
  prunedAt: integer("pruned_at"),
});

export type AuditSeal = typeof auditSeals.$inferSelect;
export type NewAuditSeal = typeof auditSeals.$inferInsert;

/**
 * What a seal covered, row by row: `entries` holds up to a chunk of "rowId rowHash16" lines in seal
 * order. The seal hash alone says *that* a period changed; the manifest says *which row* first.
 */
export const auditSealManifests = sqliteTable(
  "audit_seal_manifests",
  {
    sealId: text("seal_id")
      .notNull()
      .references(() => auditSeals.id, { onDelete: "cascade" }),
    chunk: integer("chunk").notNull(),
    entries: text("entries").notNull(),
  },
  (t) => [primaryKey({ columns: [t.sealId, t.chunk] })],
);

export type AuditSealManifest = typeof auditSealManifests.$inferSelect;

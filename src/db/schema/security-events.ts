import { index, integer, real, sqliteTable, text } from "drizzle-orm/sqlite-core";

export const SECURITY_EVENT_TYPES = [
  "brute_force",
  "credential_stuffing",
  "xss_attempt",
  "sql_injection_attempt",
  "rate_limit_exceeded",
  "rate_limit_block",
  "suspicious_login",
  "impossible_travel",
  "new_device",
  "api_key_misuse",
  "csrf_failure",
  "malicious_upload",
  "privilege_escalation_attempt",
  "rapid_actions",
  "account_enumeration",
  "access_revoked",
] as const;
export type SecurityEventType = (typeof SECURITY_EVENT_TYPES)[number];

export const SECURITY_SEVERITIES = ["LOW", "MEDIUM", "HIGH", "CRITICAL"] as const;
export type SecuritySeverity = (typeof SECURITY_SEVERITIES)[number];

export const SECURITY_EVENT_STATUSES = ["OPEN", "INVESTIGATING", "RESOLVED", "FALSE_POSITIVE"] as const;
export type SecurityEventStatus = (typeof SECURITY_EVENT_STATUSES)[number];

/** actor_id / api_key_id are plain ids (no FK): the record must survive the account it accuses. */
export const securityEvents = sqliteTable(
  "security_events",
  {
    id: text("id").primaryKey(), // sev_
    type: text("type", { enum: SECURITY_EVENT_TYPES }).notNull(),
    severity: text("severity", { enum: SECURITY_SEVERITIES }).notNull(),
    status: text("status", { enum: SECURITY_EVENT_STATUSES }).notNull().default("OPEN"),
    actorId: text("actor_id"),
    apiKeyId: text("api_key_id"),
    ip: text("ip"),
    userAgent: text("user_agent"),
    country: text("country"),
    city: text("city"),
    latitude: real("latitude"),
    longitude: real("longitude"),
    requestId: text("request_id"),
    details: text("details", { mode: "json" }).$type<Record<string, unknown>>(),
    resolutionNote: text("resolution_note"),
    updatedBy: text("updated_by"),
    createdAt: integer("created_at").notNull(),
    updatedAt: integer("updated_at").notNull(),
  },
  (t) => [
    index("security_events_type_created_at_idx").on(t.type, t.createdAt),
    index("security_events_severity_created_at_idx").on(t.severity, t.createdAt),
    index("security_events_status_created_at_idx").on(t.status, t.createdAt),
    index("security_events_created_at_idx").on(t.createdAt),
    index("security_events_ip_idx").on(t.ip),
    index("security_events_actor_id_idx").on(t.actorId),
  ],
);

export type SecurityEvent = typeof securityEvents.$inferSelect;
export type NewSecurityEvent = typeof securityEvents.$inferInsert;

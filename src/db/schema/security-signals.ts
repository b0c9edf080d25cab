import { index, integer, primaryKey, sqliteTable, text } from "drizzle-orm/sqlite-core";

/**
 * One row per failed login, the raw material of brute-force (per account) and credential-stuffing
 * (distinct accounts per IP) detection. Short-lived: the retention cron drops rows after a day.
 * No foreign key: failures against unknown emails matter as much as against real accounts.
 */
export const loginFailures = sqliteTable(
  "login_failures",
  {
    id: integer("id").primaryKey({ autoIncrement: true }),
    /** Hex SHA-256 of the lower-cased email, so the table is not a list of who was attacked. */
    emailHash: text("email_hash").notNull(),
    userId: text("user_id"),
    ip: text("ip").notNull(),
    createdAt: integer("created_at").notNull(),
  },
  (t) => [
    index("login_failures_email_hash_created_at_idx").on(t.emailHash, t.createdAt),
    index("login_failures_ip_created_at_idx").on(t.ip, t.createdAt),
    index("login_failures_created_at_idx").on(t.createdAt),
  ],
);

export type LoginFailure = typeof loginFailures.$inferSelect;
export type NewLoginFailure = typeof loginFailures.$inferInsert;

/**
 * Fixed-window counters for detectors that count actions (e.g. mutations per actor): one atomic
 * upsert per action returns the new count, so crossing a threshold is seen by exactly one request.
 */
export const securityCounters = sqliteTable(
  "security_counters",
  {
    key: text("key").notNull(),
    windowStart: integer("window_start").notNull(),
    count: integer("count").notNull().default(0),
    expiresAt: integer("expires_at").notNull(),
  },
  (t) => [primaryKey({ columns: [t.key, t.windowStart] }), index("security_counters_expires_at_idx").on(t.expiresAt)],
);

export type SecurityCounter = typeof securityCounters.$inferSelect;

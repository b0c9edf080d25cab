import { index, integer, sqliteTable, text, uniqueIndex } from "drizzle-orm/sqlite-core";

export const RATE_LIMIT_KEY_KINDS = ["user", "ip", "api_key", "email", "device"] as const;
export type RateLimitKeyKind = (typeof RATE_LIMIT_KEY_KINDS)[number];

/**
 * Durable record of rate-limit windows and blocks (the live counters are in the Durable Object);
 * one row per policy, key and window, for the admin API and for escalating blocks.
 */
export const rateLimitLogs = sqliteTable(
  "rate_limit_logs",
  {
    id: text("id").primaryKey(),
    policy: text("policy").notNull(),
    keyKind: text("key_kind", { enum: RATE_LIMIT_KEY_KINDS }).notNull(),
    key: text("key").notNull(),
    windowStart: integer("window_start").notNull(),
    windowSeconds: integer("window_seconds").notNull(),
    count: integer("count").notNull().default(0),
    limit: integer("limit").notNull(),
    blockedUntil: integer("blocked_until"),
    /** Escalation step: each repeat block lasts longer. 0 = never blocked. */
    blockLevel: integer("block_level").notNull().default(0),
    createdAt: integer("created_at").notNull(),
    updatedAt: integer("updated_at").notNull(),
  },
  (t) => [
    uniqueIndex("rate_limit_logs_policy_key_window_start_idx").on(t.policy, t.key, t.windowStart),
    index("rate_limit_logs_blocked_until_idx").on(t.blockedUntil),
    index("rate_limit_logs_created_at_idx").on(t.createdAt),
  ],
);

export type RateLimitLog = typeof rateLimitLogs.$inferSelect;
export type NewRateLimitLog = typeof rateLimitLogs.$inferInsert;

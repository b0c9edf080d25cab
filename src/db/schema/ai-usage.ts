import { index, integer, real, sqliteTable, text } from "drizzle-orm/sqlite-core";
import { users } from "./users";

export const AI_FEATURES = ["generation", "hints", "evaluation", "tutor"] as const;
export type AiFeatureName = (typeof AI_FEATURES)[number];

export const AI_OUTCOMES = ["ok", "invalid_output", "unavailable"] as const;
export type AiOutcome = (typeof AI_OUTCOMES)[number];

/** One call to the AI provider: who it was for, what it cost. Quotas sum this month's rows. */
export const aiUsage = sqliteTable(
  "ai_usage",
  {
    id: text("id").primaryKey(), // aiu_
    userId: text("user_id").references(() => users.id, { onDelete: "cascade" }),
    feature: text("feature", { enum: AI_FEATURES }).notNull(),
    model: text("model").notNull(),
    promptTokens: integer("prompt_tokens").notNull(),
    completionTokens: integer("completion_tokens").notNull(),
    latencyMs: integer("latency_ms").notNull(),
    /** Estimated from AI_PRICE_*_PER_MTOK. */
    costUsd: real("cost_usd").notNull(),
    outcome: text("outcome", { enum: AI_OUTCOMES }).notNull(),
    createdAt: integer("created_at").notNull(),
  },
  (t) => [index("ai_usage_user_id_created_at_idx").on(t.userId, t.createdAt), index("ai_usage_created_at_idx").on(t.createdAt)],
);

export type AiUsageRow = typeof aiUsage.$inferSelect;

import { index, integer, sqliteTable, text } from "drizzle-orm/sqlite-core";
import { users } from "./users";

/**
 * queued → sent (the provider accepted it; the local mailbox stores it) → delivered | bounced | complained,
 * as the provider's events report; failed: a permanent provider error or retries ran out; suppressed:
 * never sent, the address is on the suppression list.
 */
export const EMAIL_STATUSES = ["queued", "sent", "delivered", "bounced", "complained", "failed", "suppressed"] as const;
export type EmailStatus = (typeof EMAIL_STATUSES)[number];

export const EMAIL_PROVIDERS = ["resend", "mailbox"] as const;
export type EmailProviderName = (typeof EMAIL_PROVIDERS)[number];

/** Every message the platform sends: rendered once when queued, so a retry sends exactly the same mail. */
export const emailMessages = sqliteTable(
  "email_messages",
  {
    id: text("id").primaryKey(), // eml_; also the provider's Idempotency-Key
    template: text("template").notNull(),
    category: text("category", { enum: ["transactional", "notification"] }).notNull(),
    toAddress: text("to_address").notNull(),
    userId: text("user_id").references(() => users.id, { onDelete: "set null" }),
    subject: text("subject").notNull(),
    /** Wiped (null) once a provider accepted a message whose body carries a secret link; the local mailbox keeps it. */
    html: text("html"),
    text: text("text"),
    /** Extra headers sent with it (List-Unsubscribe, List-Unsubscribe-Post). */
    headers: text("headers", { mode: "json" }).$type<Record<string, string>>().notNull().default({}),
    status: text("status", { enum: EMAIL_STATUSES }).notNull().default("queued"),
    provider: text("provider", { enum: EMAIL_PROVIDERS }),
    providerMessageId: text("provider_message_id"),
    attempts: integer("attempts").notNull().default(0),
    lastError: text("last_error"),
    /** One message per cause (`<event id>:<template>`): a trigger that runs twice queues it once. */
    dedupeKey: text("dedupe_key").unique(),
    createdAt: integer("created_at").notNull(),
    updatedAt: integer("updated_at").notNull(),
    sentAt: integer("sent_at"),
  },
  (t) => [
    index("email_messages_created_at_idx").on(t.createdAt),
    index("email_messages_to_address_idx").on(t.toAddress, t.createdAt),
    index("email_messages_status_idx").on(t.status, t.createdAt),
    index("email_messages_provider_message_id_idx").on(t.providerMessageId),
  ],
);

export type EmailMessage = typeof emailMessages.$inferSelect;
export type NewEmailMessage = typeof emailMessages.$inferInsert;

export const SUPPRESSION_REASONS = ["hard_bounce", "complaint", "manual"] as const;
export type SuppressionReason = (typeof SUPPRESSION_REASONS)[number];

/** Addresses no mail goes to: hard bounces and complaints reported by the provider, and admins' additions. */
export const emailSuppressions = sqliteTable("email_suppressions", {
  email: text("email").primaryKey(), // lower-cased
  reason: text("reason", { enum: SUPPRESSION_REASONS }).notNull(),
  detail: text("detail"),
  /** The message whose bounce or complaint put it here. */
  messageId: text("message_id"),
  createdBy: text("created_by"),
  createdAt: integer("created_at").notNull(),
});

export type EmailSuppression = typeof emailSuppressions.$inferSelect;

/** Ids of the provider's webhook messages already handled: a replay (same id) changes nothing. */
export const emailProviderEvents = sqliteTable(
  "email_provider_events",
  {
    id: text("id").primaryKey(),
    type: text("type").notNull(),
    receivedAt: integer("received_at").notNull(),
  },
  (t) => [index("email_provider_events_received_at_idx").on(t.receivedAt)],
);

export const EMAIL_TOKEN_PURPOSES = ["verify_email", "password_reset", "email_change"] as const;
export type EmailTokenPurpose = (typeof EMAIL_TOKEN_PURPOSES)[number];

/** Single-use tokens mailed to a user. Only the SHA-256 of the token is stored. */
export const emailTokens = sqliteTable(
  "email_tokens",
  {
    id: text("id").primaryKey(), // etk_
    userId: text("user_id")
      .notNull()
      .references(() => users.id, { onDelete: "cascade" }),
    purpose: text("purpose", { enum: EMAIL_TOKEN_PURPOSES }).notNull(),
    tokenHash: text("token_hash").notNull().unique(),
    /** The address the token was mailed to: the one being verified, or the new one of an email change. */
    email: text("email").notNull(),
    expiresAt: integer("expires_at").notNull(),
    usedAt: integer("used_at"),
    createdAt: integer("created_at").notNull(),
  },
  (t) => [index("email_tokens_user_id_purpose_idx").on(t.userId, t.purpose), index("email_tokens_expires_at_idx").on(t.expiresAt)],
);

export type EmailToken = typeof emailTokens.$inferSelect;

/**
 * What a user wants mailed beyond the transactional mail everyone gets. No row: the defaults (results
 * and grading on, the weekly summary off: it is opt-in).
 */
export const notificationPreferences = sqliteTable("notification_preferences", {
  userId: text("user_id")
    .primaryKey()
    .references(() => users.id, { onDelete: "cascade" }),
  resultReady: integer("result_ready", { mode: "boolean" }).notNull().default(true),
  subjectiveGraded: integer("subjective_graded", { mode: "boolean" }).notNull().default(true),
  weeklySummary: integer("weekly_summary", { mode: "boolean" }).notNull().default(false),
  updatedAt: integer("updated_at").notNull(),
});

export type NotificationPreferences = typeof notificationPreferences.$inferSelect;

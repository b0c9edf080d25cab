import { index, integer, sqliteTable, text } from "drizzle-orm/sqlite-core";
import { events } from "./events";
import { users } from "./users";

export const webhooks = sqliteTable(
  "webhooks",
  {
    id: text("id").primaryKey(), // whk_
    ownerId: text("owner_id")
      .notNull()
      .references(() => users.id, { onDelete: "cascade" }),
    url: text("url").notNull(),
    description: text("description"),
    /** The `whsec_` signing secret, AES-GCM encrypted (src/lib/webhooks/secrets.ts); shown to the owner once. */
    secret: text("secret").notNull(),
    /** After a rotation, the old secret (encrypted) keeps signing beside the new one until this expires. */
    previousSecret: text("previous_secret"),
    previousSecretExpiresAt: integer("previous_secret_expires_at"),
    /** Subscribed event types (values of EVENT_TYPES); empty means every type. */
    eventTypes: text("event_types", { mode: "json" }).$type<string[]>().notNull().default([]),
    active: integer("active", { mode: "boolean" }).notNull().default(true),
    /** At most this many deliveries per second (null: no limit). */
    maxPerSecond: integer("max_per_second"),
    successCount: integer("success_count").notNull().default(0),
    failureCount: integer("failure_count").notNull().default(0),
    /** Reset on success; the webhook is disabled once this passes a threshold. */
    consecutiveFailures: integer("consecutive_failures").notNull().default(0),
    /** First failure since the last success: every delivery failing for WEBHOOK_DISABLE_AFTER_DAYS disables the endpoint. */
    failingSince: integer("failing_since"),
    lastDeliveryAt: integer("last_delivery_at"),
    disabledAt: integer("disabled_at"),
    /** `gone` (the receiver answered 410) or `failing` (failed for too long); cleared when re-enabled. */
    disabledReason: text("disabled_reason"),
    createdAt: integer("created_at").notNull(),
    updatedAt: integer("updated_at").notNull(),
  },
  (t) => [index("webhooks_owner_id_idx").on(t.ownerId)],
);

export type Webhook = typeof webhooks.$inferSelect;
export type NewWebhook = typeof webhooks.$inferInsert;

export const WEBHOOK_DELIVERY_STATUSES = ["PENDING", "SUCCESS", "FAILED", "RETRYING"] as const;
export type WebhookDeliveryStatus = (typeof WEBHOOK_DELIVERY_STATUSES)[number];

export const webhookDeliveries = sqliteTable(
  "webhook_deliveries",
  {
    id: text("id").primaryKey(), // whd_
    webhookId: text("webhook_id")
      .notNull()
      .references(() => webhooks.id, { onDelete: "cascade" }),
    /** Null for test pings, or once the event row has been pruned. */
    eventId: text("event_id").references(() => events.id, { onDelete: "set null" }),
    /** Kept here so the delivery stays readable after its event is pruned. */
    eventType: text("event_type"),
    /** The `webhook-id` header: the same for every attempt and replay of one message. */
    messageId: text("message_id"),
    requestHeaders: text("request_headers", { mode: "json" }).$type<Record<string, string>>(),
    requestBody: text("request_body"),
    responseStatus: integer("response_status"),
    /** Truncated. */
    responseBody: text("response_body"),
    responseTimeMs: integer("response_time_ms"),
    /** Why the attempt failed without a response (timeout, refused address, network error). */
    error: text("error"),
    /** 1-based attempt number. */
    attempt: integer("attempt").notNull().default(1),
    status: text("status", { enum: WEBHOOK_DELIVERY_STATUSES }).notNull().default("PENDING"),
    nextRetryAt: integer("next_retry_at"),
    createdAt: integer("created_at").notNull(),
  },
  (t) => [
    index("webhook_deliveries_webhook_id_created_at_idx").on(t.webhookId, t.createdAt),
    index("webhook_deliveries_status_next_retry_at_idx").on(t.status, t.nextRetryAt),
    index("webhook_deliveries_event_id_idx").on(t.eventId),
    index("webhook_deliveries_created_at_idx").on(t.createdAt),
  ],
);

export type WebhookDelivery = typeof webhookDeliveries.$inferSelect;
export type NewWebhookDelivery = typeof webhookDeliveries.$inferInsert;

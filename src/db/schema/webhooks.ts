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
    /** HMAC signing secret, shown to the owner once at creation. */
    secret: text("secret").notNull(),
    /** Subscribed event types (values of EVENT_TYPES). */
    eventTypes: text("event_types", { mode: "json" }).$type<string[]>().notNull().default([]),
    active: integer("active", { mode: "boolean" }).notNull().default(true),
    successCount: integer("success_count").notNull().default(0),
    failureCount: integer("failure_count").notNull().default(0),
    /** Reset on success; the webhook is disabled once this passes a threshold. */
    consecutiveFailures: integer("consecutive_failures").notNull().default(0),
    lastDeliveryAt: integer("last_delivery_at"),
    disabledAt: integer("disabled_at"),
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
    requestHeaders: text("request_headers", { mode: "json" }).$type<Record<string, string>>(),
    requestBody: text("request_body"),
    responseStatus: integer("response_status"),
    /** Truncated. */
    responseBody: text("response_body"),
    responseTimeMs: integer("response_time_ms"),
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

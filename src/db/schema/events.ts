import { index, integer, primaryKey, sqliteTable, text } from "drizzle-orm/sqlite-core";

/** Every event the platform emits; each has a versioned payload schema in src/lib/events/catalogue.ts. */
export const EVENT_TYPES = [
  "user.registered",
  "user.email_verified",
  "user.new_device_sign_in",
  "test.created",
  "test.updated",
  "test.published",
  "test.deleted",
  "attempt.started",
  "attempt.submitted",
  "attempt.scored",
  "attempt.graded",
  "subscription.activated",
  "subscription.cancelled",
  "payment.succeeded",
  "payment.failed",
  "coupon.redeemed",
  "question.created",
  "question.updated",
  "question.deleted",
  "webhook.test",
  "webhook.disabled",
  "export.created",
  "export.completed",
  "export.failed",
] as const;
export type EventType = (typeof EVENT_TYPES)[number];

export const EVENT_STATUSES = ["PENDING", "PROCESSING", "PROCESSED", "FAILED"] as const;
export type EventStatus = (typeof EVENT_STATUSES)[number];

/**
 * PENDING: written, not yet fanned out. PROCESSING: its subscribers are being served. PROCESSED:
 * every subscriber is done (succeeded or skipped). FAILED: a subscriber gave up (see event_deliveries).
 */
/**
 * Domain events / transactional outbox: written in the same D1 batch as the change, then fanned out
 * to subscribers by the event.dispatch job (src/lib/events/dispatcher.ts).
 */
export const events = sqliteTable(
  "events",
  {
    id: text("id").primaryKey(), // evt_
    type: text("type", { enum: EVENT_TYPES }).notNull(),
    aggregateType: text("aggregate_type").notNull(),
    aggregateId: text("aggregate_id").notNull(),
    actorId: text("actor_id"),
    /**
     * Whose data this is beyond the platform's: the author of the test or question it is about.
     * An instructor's webhook receives only events they own; null means admins only.
     */
    ownerId: text("owner_id"),
    /** The payload schema's version (src/lib/events/catalogue.ts). */
    version: integer("version").notNull().default(1),
    payload: text("payload", { mode: "json" }).$type<Record<string, unknown>>().notNull().default({}),
    status: text("status", { enum: EVENT_STATUSES }).notNull().default("PENDING"),
    attempts: integer("attempts").notNull().default(0),
    error: text("error"),
    processedAt: integer("processed_at"),
    createdAt: integer("created_at").notNull(),
  },
  (t) => [
    index("events_status_created_at_idx").on(t.status, t.createdAt),
    index("events_type_created_at_idx").on(t.type, t.createdAt),
    index("events_aggregate_type_aggregate_id_idx").on(t.aggregateType, t.aggregateId),
    index("events_created_at_idx").on(t.createdAt),
  ],
);

/** Named DomainEvent (not Event) so it does not shadow the Workers global `Event`. */
export type DomainEvent = typeof events.$inferSelect;
export type NewDomainEvent = typeof events.$inferInsert;

export const EVENT_DELIVERY_STATUSES = ["PENDING", "PROCESSING", "RETRYING", "SUCCEEDED", "FAILED", "SKIPPED"] as const;
export type EventDeliveryStatus = (typeof EVENT_DELIVERY_STATUSES)[number];

/**
 * One subscriber's progress on one event (a webhook endpoint is a subscriber of its own,
 * `webhook:<whk_id>`), so a failing subscriber retries alone and the others are never repeated.
 * Deleted with its event.
 */
export const eventDeliveries = sqliteTable(
  "event_deliveries",
  {
    eventId: text("event_id")
      .notNull()
      .references(() => events.id, { onDelete: "cascade" }),
    subscriber: text("subscriber").notNull(),
    status: text("status", { enum: EVENT_DELIVERY_STATUSES }).notNull().default("PENDING"),
    attempts: integer("attempts").notNull().default(0),
    lastError: text("last_error"),
    nextAttemptAt: integer("next_attempt_at"),
    processedAt: integer("processed_at"),
    createdAt: integer("created_at").notNull(),
    updatedAt: integer("updated_at").notNull(),
  },
  (t) => [
    primaryKey({ columns: [t.eventId, t.subscriber] }),
    index("event_deliveries_status_next_attempt_at_idx").on(t.status, t.nextAttemptAt),
    index("event_deliveries_subscriber_status_idx").on(t.subscriber, t.status, t.createdAt),
  ],
);

export type EventDelivery = typeof eventDeliveries.$inferSelect;

import { index, integer, sqliteTable, text } from "drizzle-orm/sqlite-core";

export const EVENT_TYPES = [
  "user.registered",
  "user.updated",
  "test.published",
  "test.completed",
  "attempt.started",
  "attempt.submitted",
  "question.created",
  "payment.succeeded",
  "payment.failed",
  "subscription.activated",
  "export.completed",
] as const;
export type EventType = (typeof EVENT_TYPES)[number];

export const EVENT_STATUSES = ["PENDING", "PROCESSING", "PROCESSED", "FAILED"] as const;
export type EventStatus = (typeof EVENT_STATUSES)[number];

/**
 * Domain events / transactional outbox: written in the same D1 batch as the change,
 * then dispatched (webhooks, handlers) by the event.dispatch job.
 */
export const events = sqliteTable(
  "events",
  {
    id: text("id").primaryKey(), // evt_
    type: text("type", { enum: EVENT_TYPES }).notNull(),
    aggregateType: text("aggregate_type").notNull(),
    aggregateId: text("aggregate_id").notNull(),
    actorId: text("actor_id"),
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
  ],
);

/** Named DomainEvent (not Event) so it does not shadow the Workers global `Event`. */
export type DomainEvent = typeof events.$inferSelect;
export type NewDomainEvent = typeof events.$inferInsert;

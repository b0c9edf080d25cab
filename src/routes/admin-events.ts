import { and, asc, desc, eq, gte, lt, lte, type SQL } from "drizzle-orm";
import { Hono } from "hono";
import { z } from "zod";
import { EVENT_STATUSES, EVENT_TYPES, eventDeliveries, events, webhookDeliveries } from "../db/schema";
import type { AppEnv } from "../env";
import { auditInsert } from "../lib/audit/writer";
import { clock } from "../lib/clock";
import { ApiError } from "../lib/errors";
import { presentEvent, presentEventDelivery } from "../lib/events/present";
import { redeliverStatements } from "../lib/events/retry";
import { presentWebhookDelivery } from "../lib/webhooks/present";
import { decodeCursor, idCursor, paginationQuery, toPage } from "../lib/validation/pagination";
import { validate } from "../lib/validation/validate";
import { requireRole, requireScope } from "../middleware/auth";
import { rateLimit } from "../middleware/rate-limit";
import { operationsOf } from "../openapi/describe";
import { domainEventDetailSchema, domainEventSchema, subscriberRetrySchema } from "../openapi/schemas/event";
import { page } from "../openapi/schemas/primitives";

const isoInstant = z.iso.datetime({ offset: true }).transform((value) => Date.parse(value));

const eventListQuery = paginationQuery.extend({
  type: z.enum(EVENT_TYPES).optional(),
  status: z.enum(EVENT_STATUSES).optional(),
  from: isoInstant.optional(),
  to: isoInstant.optional(),
});

const describe = operationsOf("Admin: events");

/** Webhook attempts shown with an event; the full log is at GET /v1/webhooks/:id/deliveries. */
const MAX_WEBHOOK_ATTEMPTS_SHOWN = 100;

/** The outbox for operators: what happened, who received it, and retrying a subscriber that gave up. */
export const adminEventRoutes = new Hono<AppEnv>()
  .use("*", rateLimit({ policy: "api" }), requireRole("admin"))
  .get(
    "/",
    describe({ summary: "List domain events", responses: { 200: ["A page of events, newest first", page(domainEventSchema)] } }),
    requireScope("admin:read"),
    validate("query", eventListQuery),
    async (c) => {
      const query = c.req.valid("query");
      const filters: (SQL | undefined)[] = [];
      if (query.type) filters.push(eq(events.type, query.type));
      if (query.status) filters.push(eq(events.status, query.status));
      if (query.from !== undefined) filters.push(gte(events.createdAt, query.from));
      if (query.to !== undefined) filters.push(lte(events.createdAt, query.to));
      if (query.cursor) filters.push(lt(events.id, decodeCursor(query.cursor, idCursor).id));
      const rows = await c.var.db
        .select()
        .from(events)
        .where(and(...filters))
        .orderBy(desc(events.id))
        .limit(query.limit + 1);
      return c.json(toPage(rows, query.limit, (row) => ({ id: row.id }), presentEvent));
    },
  )
  .get(
    "/:id",
    describe({
      summary: "Read an event with its subscribers and webhook deliveries",
      responses: { 200: ["The event", domainEventDetailSchema] },
      errors: ["not_found"],
    }),
    requireScope("admin:read"),
    async (c) => {
      const db = c.var.db;
      const id = c.req.param("id");
      const [found, subscribers, attempts] = await db.batch([
        db.select().from(events).where(eq(events.id, id)),
        db.select().from(eventDeliveries).where(eq(eventDeliveries.eventId, id)).orderBy(asc(eventDeliveries.subscriber)),
        db
          .select()
          .from(webhookDeliveries)
          .where(eq(webhookDeliveries.eventId, id))
          .orderBy(asc(webhookDeliveries.id))
          .limit(MAX_WEBHOOK_ATTEMPTS_SHOWN),
      ]);
      if (!found[0]) throw ApiError.notFound("event");
      return c.json({
        ...presentEvent(found[0]),
        subscribers: subscribers.map(presentEventDelivery),
        webhookDeliveries: attempts.map(presentWebhookDelivery),
      });
    },
  )
  /** A subscriber that gave up on this event starts over from its first attempt. */
  .post(
    "/:id/subscribers/:subscriber/retry",
    describe({
      summary: "Retry a failed subscriber of an event",
      responses: { 202: ["Queued again", subscriberRetrySchema] },
      errors: ["not_found", "conflict"],
    }),
    requireScope("admin:write"),
    async (c) => {
      const db = c.var.db;
      const eventId = c.req.param("id");
      const subscriber = c.req.param("subscriber");
      const row = await db
        .select()
        .from(eventDeliveries)
        .where(and(eq(eventDeliveries.eventId, eventId), eq(eventDeliveries.subscriber, subscriber)))
        .get();
      if (!row) throw ApiError.notFound("event subscriber");
      if (row.status !== "FAILED") {
        throw new ApiError("conflict", `Only a FAILED subscriber can be retried; this one is ${row.status}.`, {
          extensions: { deliveryStatus: row.status },
        });
      }
      const now = clock.now();
      const again = redeliverStatements(db, [row], ["FAILED"], now);
      await db.batch([
        auditInsert(c, {
          action: "event.retried",
          target: { type: "event", id: eventId },
          before: { subscriber, status: row.status, attempts: row.attempts, lastError: row.lastError },
          after: { subscriber, status: "PENDING", attempts: 0 },
        }),
        ...again.statements,
      ]);
      c.executionCtx.waitUntil(again.send(c.env));
      return c.json({ eventId, subscriber, status: "PENDING" }, 202);
    },
  );

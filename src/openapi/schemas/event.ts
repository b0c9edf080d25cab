import { z } from "zod";
import { EVENT_DELIVERY_STATUSES, EVENT_STATUSES, EVENT_TYPES } from "../../db/schema";
import { isoDateTime, prefixedId } from "./primitives";
import { webhookDeliverySchema } from "./webhook";

/** A domain event of the outbox (src/lib/events/present.ts; payloads in docs/events.md). */
export const domainEventSchema = z
  .object({
    id: prefixedId("event"),
    type: z.enum(EVENT_TYPES),
    version: z.number().int(),
    aggregateType: z.string(),
    aggregateId: z.string(),
    actorId: z.string().nullable(),
    ownerId: z.string().nullable(),
    payload: z.unknown(),
    status: z.enum(EVENT_STATUSES),
    dispatches: z.number().int(),
    error: z.string().nullable(),
    processedAt: isoDateTime.nullable(),
    createdAt: isoDateTime,
  })
  .meta({ id: "DomainEvent" });

const eventSubscriberSchema = z.object({
  subscriber: z.string(),
  status: z.enum(EVENT_DELIVERY_STATUSES),
  attempts: z.number().int(),
  lastError: z.string().nullable(),
  nextAttemptAt: isoDateTime.nullable(),
  processedAt: isoDateTime.nullable(),
  createdAt: isoDateTime,
  updatedAt: isoDateTime,
});

export const domainEventDetailSchema = domainEventSchema.extend({
  subscribers: z.array(eventSubscriberSchema),
  webhookDeliveries: z.array(webhookDeliverySchema),
});

export const subscriberRetrySchema = z.object({ eventId: prefixedId("event"), subscriber: z.string(), status: z.literal("PENDING") });

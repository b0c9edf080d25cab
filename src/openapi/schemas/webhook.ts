import { z } from "zod";
import { WEBHOOK_DELIVERY_STATUSES } from "../../db/schema";
import { isoDateTime, prefixedId } from "./primitives";

/** An endpoint as its owner sees it (src/lib/webhooks/present.ts); its secret is shown only on creation and rotation. */
export const webhookSchema = z
  .object({
    id: prefixedId("webhook"),
    url: z.url(),
    description: z.string().nullable(),
    eventTypes: z.array(z.string()).meta({ description: "Event types delivered; empty means every type." }),
    active: z.boolean(),
    maxPerSecond: z.number().int().nullable(),
    successCount: z.number().int(),
    failureCount: z.number().int(),
    consecutiveFailures: z.number().int(),
    failingSince: isoDateTime.nullable(),
    lastDeliveryAt: isoDateTime.nullable(),
    disabledAt: isoDateTime.nullable(),
    disabledReason: z.string().nullable(),
    previousSecretExpiresAt: isoDateTime.nullable(),
    createdAt: isoDateTime,
    updatedAt: isoDateTime,
  })
  .meta({ id: "Webhook" });

export const webhookWithSecretSchema = webhookSchema
  .extend({ secret: z.string().meta({ description: "The signing secret (`whsec_…`), shown only in this response." }) })
  .meta({ id: "WebhookWithSecret" });

export const webhookDeliverySchema = z
  .object({
    id: prefixedId("webhookDelivery"),
    webhookId: prefixedId("webhook"),
    eventId: prefixedId("event").nullable(),
    eventType: z.string().nullable(),
    messageId: z.string().nullable(),
    attempt: z.number().int(),
    status: z.enum(WEBHOOK_DELIVERY_STATUSES),
    request: z.object({ headers: z.record(z.string(), z.string()).nullable(), body: z.string().nullable() }),
    response: z.object({ status: z.number().int().nullable(), body: z.string().nullable() }),
    durationMs: z.number().int().nullable(),
    error: z.string().nullable(),
    nextRetryAt: isoDateTime.nullable(),
    createdAt: isoDateTime,
  })
  .meta({ id: "WebhookDelivery" });

export const webhookQueuedSchema = z.object({
  webhookId: prefixedId("webhook"),
  eventId: prefixedId("event"),
  status: z.literal("queued").meta({ description: "The message is queued for delivery (not a delivery status)." }),
});

export const webhookRecoveredSchema = z.object({
  webhookId: prefixedId("webhook"),
  recovered: z.number().int(),
  more: z.boolean().meta({ description: "True when more failed messages remain: call again." }),
});

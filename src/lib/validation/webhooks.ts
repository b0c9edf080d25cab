import { z } from "zod";
import { EVENT_TYPES } from "../../db/schema";
import { paginationQuery } from "./pagination";
import { plainText } from "./text";

export const MAX_WEBHOOK_EVENT_TYPES = EVENT_TYPES.length;

/**
 * Only https endpoints with a host name; the delivery worker still refuses private and loopback
 * addresses at send time (DNS can change after validation).
 */
export const webhookUrl = z
  .url({ protocol: /^https$/, hostname: z.regexes.domain, error: "Must be an https URL with a domain name" })
  .max(2048);

const eventTypes = z
  .array(z.enum(EVENT_TYPES))
  .min(1, "Subscribe to at least one event type")
  .max(MAX_WEBHOOK_EVENT_TYPES)
  .refine((types) => new Set(types).size === types.length, "Event types must not repeat");

export const webhookCreateBody = z.strictObject({
  url: webhookUrl,
  eventTypes,
  description: plainText({ max: 500, min: 0 }).optional(),
  active: z.boolean().default(true),
});
export type WebhookCreateBody = z.infer<typeof webhookCreateBody>;

export const webhookUpdateBody = z
  .strictObject({
    url: webhookUrl,
    eventTypes,
    description: plainText({ max: 500, min: 0 }).nullable(),
    active: z.boolean(),
  })
  .partial()
  .refine((body) => Object.keys(body).length > 0, "Send at least one field to change");
export type WebhookUpdateBody = z.infer<typeof webhookUpdateBody>;

export const webhookIdParam = z.strictObject({ id: z.string().regex(/^whk_[0-9A-Z]{26}$/, "Invalid webhook id") });

export const webhookDeliveryListQuery = paginationQuery.extend({
  status: z.enum(["PENDING", "SUCCESS", "FAILED", "RETRYING"]).optional(),
});

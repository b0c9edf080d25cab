import { z } from "zod";
import { EVENT_TYPES } from "../../db/schema";
import { paginationQuery } from "./pagination";
import { plainText } from "./text";

/** Types an endpoint can ask for (`webhook.test` is only ever sent on request, to one endpoint). */
const SUBSCRIBABLE_EVENT_TYPES = EVENT_TYPES.filter((type) => type !== "webhook.test");

/**
 * The URL's shape; where it may point (https, port 443, no private or loopback address) is checked by
 * the route against the deployment's policy (src/lib/webhooks/ssrf.ts), and again at every delivery.
 */
const webhookUrl = z.url({ protocol: /^https?$/, error: "Must be an http(s) URL" }).max(2048);

/** Empty (or omitted) means every type. */
const eventTypes = z
  .array(z.enum(SUBSCRIBABLE_EVENT_TYPES as [string, ...string[]]))
  .max(SUBSCRIBABLE_EVENT_TYPES.length)
  .refine((types) => new Set(types).size === types.length, "Event types must not repeat");

const maxPerSecond = z.number().int().min(1).max(1000).nullable();

export const webhookCreateBody = z.strictObject({
  url: webhookUrl,
  eventTypes: eventTypes.default([]),
  description: plainText({ max: 500, min: 0 }).optional(),
  active: z.boolean().default(true),
  maxPerSecond: maxPerSecond.optional(),
});
export type WebhookCreateBody = z.infer<typeof webhookCreateBody>;

export const webhookUpdateBody = z
  .strictObject({
    url: webhookUrl,
    eventTypes,
    description: plainText({ max: 500, min: 0 }).nullable(),
    active: z.boolean(),
    maxPerSecond,
  })
  .partial()
  .refine((body) => Object.keys(body).length > 0, "Send at least one field to change");
export type WebhookUpdateBody = z.infer<typeof webhookUpdateBody>;

export const webhookDeliveryListQuery = paginationQuery.extend({
  status: z.enum(["PENDING", "SUCCESS", "FAILED", "RETRYING"]).optional(),
  eventType: z.enum(EVENT_TYPES).optional(),
});

export const webhookRecoverBody = z.strictObject({
  since: z.iso.datetime({ offset: true }).transform((value) => Date.parse(value)),
});

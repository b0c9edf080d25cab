import type { Webhook, WebhookDelivery } from "../../db/schema";
import { clock, iso, isoOrNull } from "../clock";

/** An endpoint as its owner sees it: never its secret (shown once, at creation or rotation). */
export function presentWebhook(webhook: Webhook) {
  const overlap = webhook.previousSecretExpiresAt !== null && webhook.previousSecretExpiresAt > clock.now();
  return {
    id: webhook.id,
    url: webhook.url,
    description: webhook.description,
    eventTypes: webhook.eventTypes,
    active: webhook.active,
    maxPerSecond: webhook.maxPerSecond,
    successCount: webhook.successCount,
    failureCount: webhook.failureCount,
    consecutiveFailures: webhook.consecutiveFailures,
    failingSince: isoOrNull(webhook.failingSince),
    lastDeliveryAt: isoOrNull(webhook.lastDeliveryAt),
    disabledAt: isoOrNull(webhook.disabledAt),
    disabledReason: webhook.disabledReason,
    previousSecretExpiresAt: overlap ? iso(webhook.previousSecretExpiresAt!) : null,
    createdAt: iso(webhook.createdAt),
    updatedAt: iso(webhook.updatedAt),
  };
}

/** One attempt of the delivery log. */
export function presentWebhookDelivery(delivery: WebhookDelivery) {
  return {
    id: delivery.id,
    webhookId: delivery.webhookId,
    eventId: delivery.eventId,
    eventType: delivery.eventType,
    messageId: delivery.messageId,
    attempt: delivery.attempt,
    status: delivery.status,
    request: { headers: delivery.requestHeaders, body: delivery.requestBody },
    response: { status: delivery.responseStatus, body: delivery.responseBody },
    durationMs: delivery.responseTimeMs,
    error: delivery.error,
    nextRetryAt: isoOrNull(delivery.nextRetryAt),
    createdAt: iso(delivery.createdAt),
  };
}

import { and, count, eq, gt, or } from "drizzle-orm";
import { users, webhookDeliveries, webhooks, type DomainEvent } from "../../db/schema";
import { clock } from "../clock";
import { DeferredDelivery, PermanentDeliveryError, type EventSubscriber } from "../events/subscriber";
import { receives } from "./access";
import { deliverToWebhook } from "./deliver";
import { webhookRetryDelaySeconds } from "./retry-schedule";

/** Types an endpoint gets when it asked for "every type": the test ping goes only where it is sent. */
const subscribed = (eventTypes: string[], event: DomainEvent) =>
  eventTypes.length === 0 ? event.type !== "webhook.test" : eventTypes.includes(event.type);

/**
 * Webhook delivery as a subscriber of events: each active endpoint that may see the event and asked
 * for its type is a target (`webhook:<whk_id>`) with its own delivery row, so one failing endpoint
 * retries on the Standard Webhooks schedule without holding up or repeating the others.
 */
export const webhookSubscriber: EventSubscriber = {
  name: "webhook",
  types: "all",
  async targets({ db }, event) {
    if (event.type === "webhook.test") return [String(event.payload.webhookId)];
    // Only endpoints that may see it: every admin's, and the event owner's if an instructor.
    const visible = event.ownerId
      ? or(eq(users.role, "admin"), and(eq(users.role, "instructor"), eq(webhooks.ownerId, event.ownerId)))
      : eq(users.role, "admin");
    const rows = await db
      .select({ id: webhooks.id, ownerId: webhooks.ownerId, role: users.role, eventTypes: webhooks.eventTypes })
      .from(webhooks)
      .innerJoin(users, eq(users.id, webhooks.ownerId))
      .where(and(eq(webhooks.active, true), visible));
    return rows
      .filter((row) => subscribed(row.eventTypes, event) && receives({ id: row.ownerId, role: row.role }, event))
      .filter((row) => !(event.type === "webhook.disabled" && row.id === event.payload.webhookId))
      .map((row) => row.id);
  },
  retryDelaySeconds: webhookRetryDelaySeconds,
  async handle(ctx, event, target, attempt) {
    const row = await ctx.db
      .select({ webhook: webhooks, role: users.role })
      .from(webhooks)
      .innerJoin(users, eq(users.id, webhooks.ownerId))
      .where(eq(webhooks.id, target ?? ""))
      .get();
    if (!row) return "skipped"; // the endpoint was deleted
    const { webhook } = row;
    // Checked again at delivery: the owner's role or the endpoint's settings may have changed since fan-out.
    if (!receives({ id: webhook.ownerId, role: row.role }, event)) return "skipped";
    if (event.type !== "webhook.test" && !subscribed(webhook.eventTypes, event)) return "skipped";
    if (!webhook.active) throw new PermanentDeliveryError("The endpoint is disabled");
    if (webhook.maxPerSecond) {
      const [recent] = await ctx.db
        .select({ n: count() })
        .from(webhookDeliveries)
        .where(and(eq(webhookDeliveries.webhookId, webhook.id), gt(webhookDeliveries.createdAt, clock.now() - 1000)));
      if ((recent?.n ?? 0) >= webhook.maxPerSecond) throw new DeferredDelivery(1);
    }
    await deliverToWebhook(ctx, webhook, event, attempt);
  },
};

/** `webhook:<id>`: the delivery row key of an endpoint. */
export const webhookDeliveryKey = (webhookId: string) => `${webhookSubscriber.name}:${webhookId}`;

import { and, desc, eq, gte, lt, type SQL } from "drizzle-orm";
import { Hono, type Context } from "hono";
import { auditInsert } from "../lib/audit/writer";
import { clock } from "../lib/clock";
import { ApiError } from "../lib/errors";
import { eventStatements } from "../lib/events/emit";
import { redeliverStatements } from "../lib/events/retry";
import { newId } from "../lib/ids";
import { presentWebhook, presentWebhookDelivery } from "../lib/webhooks/present";
import { encryptWebhookSecret, newWebhookSecret } from "../lib/webhooks/secrets";
import { checkWebhookUrl } from "../lib/webhooks/ssrf";
import { webhookDeliveryKey } from "../lib/webhooks/subscriber";
import { decodeCursor, idCursor, paginationQuery, toPage } from "../lib/validation/pagination";
import { validate } from "../lib/validation/validate";
import { webhookCreateBody, webhookDeliveryListQuery, webhookRecoverBody, webhookUpdateBody } from "../lib/validation/webhooks";
import { authOf, requireScope } from "../middleware/auth";
import { rateLimit } from "../middleware/rate-limit";
import { eventDeliveries, webhookDeliveries, webhooks, type Webhook } from "../db/schema";
import type { AppEnv } from "../env";
import { operationsOf } from "../openapi/describe";
import { page } from "../openapi/schemas/primitives";
import { requireVerifiedEmail } from "../middleware/verified-email";
import {
  webhookDeliverySchema,
  webhookQueuedSchema,
  webhookRecoveredSchema,
  webhookSchema,
  webhookWithSecretSchema,
} from "../openapi/schemas/webhook";

const describe = operationsOf("Webhooks");

/** Endpoints one user may hold. */
const MAX_WEBHOOKS_PER_USER = 20;
/** Failed deliveries one recover call sends again; call again (with a later `since`) for more. */
const MAX_RECOVER = 500;

const manage = requireScope("webhooks:manage");

/** The encryption key for secrets, or a clear 503: without it no secret can be stored or used. */
function secretKey(c: Context<AppEnv>): string {
  const key = c.var.config.webhooks.secretKey;
  if (!key) throw new ApiError("service_unavailable", "Webhooks are not configured on this deployment (WEBHOOK_SECRET_KEY is not set).");
  return key;
}

/** The URL may be saved only if the SSRF guard admits it under this deployment's policy. */
function checkedUrl(c: Context<AppEnv>, url: string): string {
  const verdict = checkWebhookUrl(url, { allowLoopback: c.var.config.webhooks.allowLoopback });
  if (!verdict.ok) throw ApiError.validation([{ path: "url", message: `The URL ${verdict.reason}` }], "The webhook URL is not allowed.");
  return verdict.url.toString();
}

/** The caller's own endpoint, or 404: another user's id answers exactly like one that does not exist (admins included). */
async function ownWebhook(c: Context<AppEnv>, id: string): Promise<Webhook> {
  const webhook = await c.var.db
    .select()
    .from(webhooks)
    .where(and(eq(webhooks.id, id), eq(webhooks.ownerId, authOf(c).userId)))
    .get();
  if (!webhook) throw ApiError.notFound("webhook");
  return webhook;
}

/** What the audit trail keeps of an endpoint: never its secret. */
const auditable = (w: Pick<Webhook, "url" | "eventTypes" | "active" | "description" | "maxPerSecond">) => ({
  url: w.url,
  eventTypes: w.eventTypes,
  active: w.active,
  description: w.description,
  maxPerSecond: w.maxPerSecond,
});

export const webhookRoutes = new Hono<AppEnv>()
  .use("*", rateLimit({ policy: "api" }))
  .post(
    "/",
    describe({
      summary: "Register a webhook endpoint",
      description: "The signing secret is in this response only (docs/webhooks.md).",
      responses: { 201: ["The endpoint, with its secret", webhookWithSecretSchema] },
      errors: ["conflict", "email_not_verified"],
    }),
    manage,
    requireVerifiedEmail("webhooks"),
    validate("json", webhookCreateBody),
    async (c) => {
      const input = c.req.valid("json");
      const key = secretKey(c);
      const url = checkedUrl(c, input.url);
      const db = c.var.db;
      const ownerId = authOf(c).userId;
      const held = await db.$count(webhooks, eq(webhooks.ownerId, ownerId));
      if (held >= MAX_WEBHOOKS_PER_USER)
        throw new ApiError("conflict", `At most ${MAX_WEBHOOKS_PER_USER} webhooks per account; delete one first.`);
      const now = clock.now();
      const secret = newWebhookSecret();
      const webhook: Webhook = {
        id: newId("webhook", now),
        ownerId,
        url,
        description: input.description ?? null,
        secret: await encryptWebhookSecret(key, secret),
        previousSecret: null,
        previousSecretExpiresAt: null,
        eventTypes: input.eventTypes,
        active: input.active,
        maxPerSecond: input.maxPerSecond ?? null,
        successCount: 0,
        failureCount: 0,
        consecutiveFailures: 0,
        failingSince: null,
        lastDeliveryAt: null,
        disabledAt: null,
        disabledReason: null,
        createdAt: now,
        updatedAt: now,
      };
      await db.batch([
        db.insert(webhooks).values(webhook),
        auditInsert(c, { action: "webhook.created", target: { type: "webhook", id: webhook.id }, after: auditable(webhook) }),
      ]);
      c.header("Cache-Control", "no-store");
      return c.json({ ...presentWebhook(webhook), secret }, 201, { Location: `/v1/webhooks/${webhook.id}` });
    },
  )
  .get(
    "/",
    describe({ summary: "List your webhook endpoints", responses: { 200: ["A page of endpoints, newest first", page(webhookSchema)] } }),
    manage,
    validate("query", paginationQuery),
    async (c) => {
      const { limit, cursor } = c.req.valid("query");
      const rows = await c.var.db
        .select()
        .from(webhooks)
        .where(and(eq(webhooks.ownerId, authOf(c).userId), cursor ? lt(webhooks.id, decodeCursor(cursor, idCursor).id) : undefined))
        .orderBy(desc(webhooks.id))
        .limit(limit + 1);
      return c.json(toPage(rows, limit, (row) => ({ id: row.id }), presentWebhook));
    },
  )
  .get(
    "/:id",
    describe({ summary: "Read a webhook endpoint", responses: { 200: ["The endpoint", webhookSchema] }, errors: ["not_found"] }),
    manage,
    async (c) => {
      return c.json(presentWebhook(await ownWebhook(c, c.req.param("id"))));
    },
  )
  .patch(
    "/:id",
    describe({ summary: "Edit a webhook endpoint", responses: { 200: ["The endpoint", webhookSchema] }, errors: ["not_found"] }),
    manage,
    validate("json", webhookUpdateBody),
    async (c) => {
      const existing = await ownWebhook(c, c.req.param("id"));
      const patch = c.req.valid("json");
      const now = clock.now();
      const changes: Partial<Webhook> = { updatedAt: now };
      if (patch.url !== undefined) changes.url = checkedUrl(c, patch.url);
      if (patch.eventTypes !== undefined) changes.eventTypes = patch.eventTypes;
      if (patch.description !== undefined) changes.description = patch.description;
      if (patch.maxPerSecond !== undefined) changes.maxPerSecond = patch.maxPerSecond;
      if (patch.active !== undefined) {
        changes.active = patch.active;
        // Re-enabling starts a fresh record: the failure streak that disabled it is over.
        if (patch.active && !existing.active)
          Object.assign(changes, { disabledAt: null, disabledReason: null, failingSince: null, consecutiveFailures: 0 });
        if (!patch.active && existing.active) Object.assign(changes, { disabledAt: now, disabledReason: "owner" });
      }
      const db = c.var.db;
      const [[updated]] = await db.batch([
        db.update(webhooks).set(changes).where(eq(webhooks.id, existing.id)).returning(),
        auditInsert(c, {
          action: "webhook.updated",
          target: { type: "webhook", id: existing.id },
          before: auditable(existing),
          after: auditable({ ...existing, ...changes }),
        }),
      ]);
      if (!updated) throw ApiError.notFound("webhook");
      return c.json(presentWebhook(updated));
    },
  )
  .delete(
    "/:id",
    describe({ summary: "Delete a webhook endpoint", responses: { 204: "Deleted" }, errors: ["not_found"] }),
    manage,
    async (c) => {
      const existing = await ownWebhook(c, c.req.param("id"));
      const db = c.var.db;
      await db.batch([
        db.delete(webhooks).where(eq(webhooks.id, existing.id)),
        auditInsert(c, { action: "webhook.deleted", target: { type: "webhook", id: existing.id }, before: auditable(existing) }),
      ]);
      return c.body(null, 204);
    },
  )
  /**
   * A new secret, shown once. The old one keeps signing beside it (both signatures in
   * `webhook-signature`) for WEBHOOK_SECRET_OVERLAP_HOURS, so receivers can switch without a gap.
   */
  .post(
    "/:id/rotate-secret",
    describe({
      summary: "Rotate a webhook's signing secret",
      description: "The old secret keeps signing beside the new one for a while (`previousSecretExpiresAt`).",
      responses: { 200: ["The endpoint, with its new secret", webhookWithSecretSchema] },
      errors: ["not_found", "conflict"],
    }),
    manage,
    async (c) => {
      const existing = await ownWebhook(c, c.req.param("id"));
      const key = secretKey(c);
      const now = clock.now();
      const secret = newWebhookSecret();
      const changes = {
        secret: await encryptWebhookSecret(key, secret),
        previousSecret: existing.secret,
        previousSecretExpiresAt: now + c.var.config.webhooks.secretOverlapMs,
        updatedAt: now,
      };
      const db = c.var.db;
      // Guarded by the secret read above: of two concurrent rotations one wins; the other is a conflict.
      const [[updated]] = await db.batch([
        db
          .update(webhooks)
          .set(changes)
          .where(and(eq(webhooks.id, existing.id), eq(webhooks.secret, existing.secret)))
          .returning(),
        auditInsert(c, {
          action: "webhook.secret_rotated",
          target: { type: "webhook", id: existing.id },
          metadata: { previousSecretExpiresAt: new Date(changes.previousSecretExpiresAt).toISOString() },
        }),
      ]);
      if (!updated) throw new ApiError("conflict", "The secret was rotated meanwhile; reload the webhook.");
      c.header("Cache-Control", "no-store");
      return c.json({ ...presentWebhook(updated), secret });
    },
  )
  .get(
    "/:id/deliveries",
    describe({
      summary: "A webhook's delivery log",
      responses: { 200: ["A page of delivery attempts, newest first", page(webhookDeliverySchema)] },
      errors: ["not_found"],
    }),
    manage,
    validate("query", webhookDeliveryListQuery),
    async (c) => {
      const webhook = await ownWebhook(c, c.req.param("id"));
      const query = c.req.valid("query");
      const filters: (SQL | undefined)[] = [eq(webhookDeliveries.webhookId, webhook.id)];
      if (query.status) filters.push(eq(webhookDeliveries.status, query.status));
      if (query.eventType) filters.push(eq(webhookDeliveries.eventType, query.eventType));
      if (query.cursor) filters.push(lt(webhookDeliveries.id, decodeCursor(query.cursor, idCursor).id));
      const rows = await c.var.db
        .select()
        .from(webhookDeliveries)
        .where(and(...filters))
        .orderBy(desc(webhookDeliveries.id))
        .limit(query.limit + 1);
      return c.json(toPage(rows, query.limit, (row) => ({ id: row.id }), presentWebhookDelivery));
    },
  )
  /** Sends the message of this logged attempt again (same `webhook-id`), from a first attempt. */
  .post(
    "/:id/deliveries/:deliveryId/replay",
    describe({
      summary: "Deliver a logged message again",
      responses: { 202: ["Queued", webhookQueuedSchema] },
      errors: ["not_found", "conflict"],
    }),
    manage,
    async (c) => {
      const webhook = await ownWebhook(c, c.req.param("id"));
      const db = c.var.db;
      const delivery = await db
        .select()
        .from(webhookDeliveries)
        .where(and(eq(webhookDeliveries.id, c.req.param("deliveryId")), eq(webhookDeliveries.webhookId, webhook.id)))
        .get();
      if (!delivery) throw ApiError.notFound("delivery");
      const subscriber = webhookDeliveryKey(webhook.id);
      const progress = delivery.eventId
        ? await db
            .select()
            .from(eventDeliveries)
            .where(and(eq(eventDeliveries.eventId, delivery.eventId), eq(eventDeliveries.subscriber, subscriber)))
            .get()
        : undefined;
      if (!progress) throw new ApiError("conflict", "The event of this delivery is no longer retained; it cannot be replayed.");
      if (progress.status !== "FAILED" && progress.status !== "SUCCEEDED" && progress.status !== "SKIPPED") {
        throw new ApiError("conflict", "This message is still being delivered; replay it once it has succeeded or failed.", {
          extensions: { deliveryStatus: progress.status },
        });
      }
      const now = clock.now();
      const again = redeliverStatements(db, [progress], ["FAILED", "SUCCEEDED", "SKIPPED"], now);
      await db.batch([
        auditInsert(c, {
          action: "webhook.replayed",
          target: { type: "webhook", id: webhook.id },
          metadata: { deliveryId: delivery.id, eventId: progress.eventId },
        }),
        ...again.statements,
      ]);
      c.executionCtx.waitUntil(again.send(c.env));
      return c.json({ webhookId: webhook.id, eventId: progress.eventId, status: "queued" }, 202);
    },
  )
  /** Sends again every delivery to this endpoint that failed since `since` (e.g. after fixing the receiver). */
  .post(
    "/:id/recover",
    describe({
      summary: "Re-deliver every failed message since a time",
      responses: { 202: ["Queued", webhookRecoveredSchema] },
      errors: ["not_found"],
    }),
    manage,
    validate("json", webhookRecoverBody),
    async (c) => {
      const webhook = await ownWebhook(c, c.req.param("id"));
      const { since } = c.req.valid("json");
      if (since > clock.now()) throw ApiError.validation([{ path: "since", message: "Must not be in the future" }]);
      const db = c.var.db;
      const failed = await db
        .select({ eventId: eventDeliveries.eventId, subscriber: eventDeliveries.subscriber })
        .from(eventDeliveries)
        .where(
          and(
            eq(eventDeliveries.subscriber, webhookDeliveryKey(webhook.id)),
            eq(eventDeliveries.status, "FAILED"),
            gte(eventDeliveries.createdAt, since),
          ),
        )
        .orderBy(eventDeliveries.createdAt)
        .limit(MAX_RECOVER);
      const now = clock.now();
      const again = redeliverStatements(db, failed, ["FAILED"], now);
      await db.batch([
        auditInsert(c, {
          action: "webhook.recovered",
          target: { type: "webhook", id: webhook.id },
          metadata: { since: new Date(since).toISOString(), count: failed.length },
        }),
        ...again.statements,
      ]);
      c.executionCtx.waitUntil(again.send(c.env));
      return c.json({ webhookId: webhook.id, recovered: failed.length, more: failed.length === MAX_RECOVER }, 202);
    },
  )
  /** Sends a `webhook.test` event to this endpoint only (even when it subscribes to other types). */
  .post(
    "/:id/test",
    describe({ summary: "Send a test ping", responses: { 202: ["Queued", webhookQueuedSchema] }, errors: ["not_found"] }),
    manage,
    async (c) => {
      const webhook = await ownWebhook(c, c.req.param("id"));
      const db = c.var.db;
      const now = clock.now();
      const ping = eventStatements(
        db,
        authOf(c).userId,
        {
          type: "webhook.test",
          aggregateId: webhook.id,
          ownerId: webhook.ownerId,
          data: { webhookId: webhook.id, message: "This is a test event from Proctor." },
        },
        now,
      );
      await db.batch([
        auditInsert(c, { action: "webhook.tested", target: { type: "webhook", id: webhook.id }, metadata: { eventId: ping.event.id } }),
        ...ping.statements,
      ]);
      c.executionCtx.waitUntil(ping.send(c.env));
      return c.json({ webhookId: webhook.id, eventId: ping.event.id, status: "queued" }, 202);
    },
  );

import { and, eq, sql } from "drizzle-orm";
import { loadConfig } from "../../config";
import { webhookDeliveries, webhooks, type DomainEvent, type Webhook, type WebhookDelivery } from "../../db/schema";
import { clock, iso } from "../clock";
import { eventStatements } from "../events/emit";
import { PermanentDeliveryError, type DeliveryAttempt, type SubscriberContext } from "../events/subscriber";
import { newId } from "../ids";
import { webhookBody } from "./payload";
import { decryptWebhookSecret, signWebhook } from "./secrets";
import { checkWebhookUrl } from "./ssrf";

/** The receiver's answer is kept up to this many bytes in the delivery log. */
const RESPONSE_LOG_BYTES = 4096;
const WEBHOOK_USER_AGENT = "Proctor-Webhooks/1.0";

/** Every signature the endpoint accepts right now: the current secret's, and the previous one's during a rotation's overlap. */
async function signatures(
  keyBase64: string,
  webhook: Webhook,
  messageId: string,
  timestamp: number,
  body: string,
  now: number,
): Promise<string> {
  const secrets = [await decryptWebhookSecret(keyBase64, webhook.secret)];
  if (webhook.previousSecret && (webhook.previousSecretExpiresAt ?? 0) > now)
    secrets.push(await decryptWebhookSecret(keyBase64, webhook.previousSecret));
  return (await Promise.all(secrets.map((secret) => signWebhook(secret, messageId, timestamp, body)))).join(" ");
}

/** The first RESPONSE_LOG_BYTES of a response body; the rest is never read. */
async function responseHead(response: Response): Promise<string> {
  if (!response.body) return "";
  const reader = response.body.getReader();
  const chunks: Uint8Array[] = [];
  let size = 0;
  try {
    while (size < RESPONSE_LOG_BYTES) {
      const { done, value } = await reader.read();
      if (done) break;
      chunks.push(value);
      size += value.length;
    }
  } finally {
    await reader.cancel().catch(() => undefined);
  }
  const bytes = new Uint8Array(Math.min(size, RESPONSE_LOG_BYTES));
  let offset = 0;
  for (const chunk of chunks) {
    const part = chunk.subarray(0, bytes.length - offset);
    bytes.set(part, offset);
    offset += part.length;
    if (offset >= bytes.length) break;
  }
  return new TextDecoder().decode(bytes);
}

interface Outcome {
  status: number | null;
  responseBody: string | null;
  error: string | null;
  durationMs: number;
}

async function send(url: string, headers: Record<string, string>, body: string, timeoutMs: number): Promise<Outcome> {
  const started = Date.now();
  try {
    // No redirect is followed: a 3xx is a failure, and following one could lead past the SSRF guard.
    const response = await fetch(url, { method: "POST", headers, body, redirect: "manual", signal: AbortSignal.timeout(timeoutMs) });
    const responseBody = await responseHead(response);
    return { status: response.status, responseBody, error: null, durationMs: Date.now() - started };
  } catch (error) {
    const timedOut = error instanceof Error && (error.name === "TimeoutError" || error.name === "AbortError");
    return {
      status: null,
      responseBody: null,
      error: timedOut ? `Timed out after ${timeoutMs} ms` : `Network error: ${String(error)}`.slice(0, 500),
      durationMs: Date.now() - started,
    };
  }
}

/**
 * One attempt to deliver `event` to `webhook`: checks the URL again, signs, POSTs with the timeout,
 * and records the attempt (delivery log row, the endpoint's counters, and disabling it on a 410 or
 * after failing for too long, with its `webhook.disabled` event) in one batch. Throws when the
 * attempt failed, so the dispatcher retries it (PermanentDeliveryError: it will not).
 */
export async function deliverToWebhook(
  ctx: SubscriberContext,
  webhook: Webhook,
  event: DomainEvent,
  attempt: DeliveryAttempt,
): Promise<WebhookDelivery> {
  const config = loadConfig(ctx.env).webhooks;
  if (!config.secretKey) throw new Error("WEBHOOK_SECRET_KEY is not set; webhooks cannot be signed");
  const now = clock.now();
  const body = webhookBody(event, config.maxPayloadBytes);
  const timestamp = Math.floor(now / 1000);
  const headers: Record<string, string> = {
    "content-type": "application/json",
    "user-agent": WEBHOOK_USER_AGENT,
    "webhook-id": event.id,
    "webhook-timestamp": String(timestamp),
    "webhook-signature": await signatures(config.secretKey, webhook, event.id, timestamp, body, now),
  };
  const verdict = checkWebhookUrl(webhook.url, { allowLoopback: config.allowLoopback });
  const outcome: Outcome = verdict.ok
    ? await send(verdict.url.toString(), headers, body, config.timeoutMs)
    : { status: null, responseBody: null, error: `Refused: the URL ${verdict.reason}`, durationMs: 0 };
  const succeeded = outcome.status !== null && outcome.status >= 200 && outcome.status < 300;
  const gone = outcome.status === 410;
  const final = succeeded || gone || !verdict.ok || attempt.retryAt === null;
  const done = clock.now();
  const delivery: WebhookDelivery = {
    id: newId("webhookDelivery", done),
    webhookId: webhook.id,
    eventId: event.id,
    eventType: event.type,
    messageId: event.id,
    requestHeaders: headers,
    requestBody: body,
    responseStatus: outcome.status,
    responseBody: outcome.responseBody,
    responseTimeMs: outcome.durationMs,
    error: outcome.error,
    attempt: attempt.attempt,
    status: succeeded ? "SUCCESS" : final ? "FAILED" : "RETRYING",
    nextRetryAt: final ? null : attempt.retryAt,
    createdAt: done,
  };
  const { db } = ctx;
  const log = db.insert(webhookDeliveries).values(delivery);
  if (succeeded) {
    await db.batch([
      log,
      db
        .update(webhooks)
        .set({ successCount: sql`${webhooks.successCount} + 1`, consecutiveFailures: 0, failingSince: null, lastDeliveryAt: done })
        .where(eq(webhooks.id, webhook.id)),
    ]);
    return delivery;
  }

  // Disabled now: a 410, or every delivery failing since longer ago than the limit.
  const cutoff = done - config.disableAfterMs;
  const disableWhen = and(
    eq(webhooks.id, webhook.id),
    eq(webhooks.active, true),
    gone ? undefined : sql`${webhooks.failingSince} <= ${cutoff}`,
  )!;
  const failingSince = webhook.failingSince ?? done;
  const disabled = eventStatements(
    db,
    null,
    {
      type: "webhook.disabled",
      aggregateId: webhook.id,
      ownerId: webhook.ownerId,
      data: { webhookId: webhook.id, url: webhook.url, reason: gone ? "gone" : "failing", failingSince: iso(failingSince) },
      when: sql`exists (select 1 from ${webhooks} where ${disableWhen})`,
    },
    done,
  );
  await db.batch([
    log,
    db
      .update(webhooks)
      .set({
        failureCount: sql`${webhooks.failureCount} + 1`,
        consecutiveFailures: sql`${webhooks.consecutiveFailures} + 1`,
        failingSince: sql`coalesce(${webhooks.failingSince}, ${done})`,
        lastDeliveryAt: done,
      })
      .where(eq(webhooks.id, webhook.id)),
    ...disabled.statements,
    db
      .update(webhooks)
      .set({ active: false, disabledAt: done, disabledReason: gone ? "gone" : "failing", updatedAt: done })
      .where(disableWhen),
  ]);
  await disabled.send(ctx.env);
  const reason = outcome.error ?? `The endpoint answered ${outcome.status}`;
  if (gone || !verdict.ok) throw new PermanentDeliveryError(gone ? "The endpoint answered 410 Gone and was disabled" : reason);
  throw new Error(reason);
}

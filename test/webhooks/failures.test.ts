import { eq } from "drizzle-orm";
import { describe, expect, it } from "vitest";
import { eventDeliveries, events, webhooks } from "../../src/db/schema";
import { clock, DAY_MS } from "../../src/lib/clock";
import { WEBHOOK_MAX_ATTEMPTS, WEBHOOK_RETRY_DELAYS_SECONDS, webhookRetryDelaySeconds } from "../../src/lib/webhooks/retry-schedule";
import { webhookDeliveryKey, webhookSubscriber } from "../../src/lib/webhooks/subscriber";
import { createUser, type TestUser } from "../helpers/auth";
import { call, sendJson } from "../helpers/http";
import { db, deliveryRows, dispatcher, emitEvent, eventRow } from "../events/helpers";
import { createWebhook, received, receiverUrl } from "./helpers";

async function setup(behaviour: string) {
  const instructor = await createUser({ role: "instructor" });
  const url = receiverUrl(behaviour);
  const hook = await createWebhook(instructor.headers, { url, eventTypes: ["question.deleted"] });
  const run = dispatcher([webhookSubscriber]);
  const emit = async (n = 1) =>
    (await emitEvent("question.deleted", { questionId: `qst_${n}`, authorId: instructor.user.id }, { ownerId: instructor.user.id })).event;
  return { instructor, url, hook, run, emit, key: webhookDeliveryKey(hook.id) };
}

const webhookRow = async (id: string) => (await db.select().from(webhooks).where(eq(webhooks.id, id)).get())!;
async function deliveries(owner: TestUser, webhookId: string, query = "") {
  const res = await call(`/v1/webhooks/${webhookId}/deliveries${query}`, { headers: owner.headers });
  expect(res.status).toBe(200);
  return ((await res.json()) as { data: Record<string, any>[] }).data;
}

describe("webhook retries and failure handling", () => {
  it("follows the schedule (now, 5 s, 5 min, 30 min, 2 h, 5 h, 10 h, 10 h, with jitter), then fails the delivery", async () => {
    expect(WEBHOOK_MAX_ATTEMPTS).toBe(8);
    expect(webhookRetryDelaySeconds(1, () => 0)).toBe(Math.round(5 * 0.9));
    expect(webhookRetryDelaySeconds(2, () => 1)).toBe(Math.round(300 * 1.1));
    expect(webhookRetryDelaySeconds(8)).toBeNull();

    const { instructor, url, hook, run, emit, key } = await setup("fail");
    const event = await emit();
    // The attempt happened between these two instants (a loaded machine can take a second or more).
    let attemptedFrom = clock.now();
    await run.run(event.id);
    let attemptedBy = clock.now();
    for (const [i, seconds] of WEBHOOK_RETRY_DELAYS_SECONDS.entries()) {
      const row = (await deliveryRows(event.id))[key]!;
      expect(row).toMatchObject({ status: "RETRYING", attempts: i + 1 });
      // Jittered ±10 % around the schedule (random = 0.5 in these tests: exactly on it), from the attempt.
      const attemptedAt = row.nextAttemptAt! - seconds * 1000;
      expect(attemptedAt).toBeGreaterThanOrEqual(attemptedFrom - 1000);
      expect(attemptedAt).toBeLessThanOrEqual(attemptedBy + 1000);
      const wait = row.nextAttemptAt! - clock.now();
      // Not due yet: nothing is sent.
      await run.run(event.id, key);
      expect(await received(url)).toHaveLength(i + 1);
      clock.advance(wait);
      attemptedFrom = clock.now();
      await run.run(event.id, key);
      attemptedBy = clock.now();
    }
    expect((await deliveryRows(event.id))[key]).toMatchObject({
      status: "FAILED",
      attempts: 8,
      lastError: "Error: The endpoint answered 500",
    });
    expect(await received(url)).toHaveLength(8);
    // Every attempt carries the same webhook-id; the log has them all, the last without a next retry.
    expect(new Set((await received(url)).map((r) => r.headers["webhook-id"]))).toEqual(new Set([event.id]));
    const log = await deliveries(instructor, hook.id);
    expect(log.map((d) => d.attempt)).toEqual([8, 7, 6, 5, 4, 3, 2, 1]);
    expect(log[0]).toMatchObject({
      status: "FAILED",
      nextRetryAt: null,
      response: { status: 500, body: '{"error":"failing on purpose"}' },
    });
    expect(log[1]).toMatchObject({ status: "RETRYING", nextRetryAt: expect.any(String) });
    expect(await webhookRow(hook.id)).toMatchObject({ failureCount: 8, consecutiveFailures: 8, successCount: 0, active: true });
    expect((await eventRow(event.id)).status).toBe("FAILED");
    expect(await deliveries(instructor, hook.id, "?status=FAILED")).toHaveLength(1);
  });

  it("a receiver that recovers gets the retry, and the failure streak resets", async () => {
    const { hook, run, emit, key, url } = await setup("fail-times/1");
    const event = await emit();
    await run.run(event.id);
    clock.advance(10_000);
    await run.run(event.id, key);
    expect((await deliveryRows(event.id))[key]).toMatchObject({ status: "SUCCEEDED", attempts: 2 });
    expect(await received(url)).toHaveLength(2);
    expect(await webhookRow(hook.id)).toMatchObject({ successCount: 1, failureCount: 1, consecutiveFailures: 0, failingSince: null });
  });

  it("410 Gone disables the endpoint at once, tells its owner with a webhook.disabled event, and is not retried", async () => {
    const { instructor, hook, run, emit, key, url } = await setup("status/410");
    const event = await emit();
    await run.run(event.id);
    expect((await deliveryRows(event.id))[key]).toMatchObject({ status: "FAILED", attempts: 1 });
    expect(await webhookRow(hook.id)).toMatchObject({ active: false, disabledReason: "gone" });
    const disabled = await db.select().from(events).where(eq(events.aggregateId, hook.id));
    expect(disabled).toMatchObject([
      { type: "webhook.disabled", ownerId: instructor.user.id, payload: { webhookId: hook.id, reason: "gone" } },
    ]);
    // Later events are not sent to a disabled endpoint.
    const next = await emit(2);
    await run.run(next.id);
    expect(await received(url)).toHaveLength(1);
  });

  it("a 3xx is a failure and the redirect is not followed", async () => {
    const { run, emit, key, url } = await setup("status/302");
    const event = await emit();
    await run.run(event.id);
    expect((await deliveryRows(event.id))[key]).toMatchObject({ status: "RETRYING", lastError: "Error: The endpoint answered 302" });
    expect(await received(url)).toHaveLength(1);
  });

  it("an endpoint whose every delivery has failed for 5 days is disabled, once", async () => {
    const { instructor, hook, run, emit } = await setup("fail");
    await run.run((await emit(1)).id);
    clock.advance(3 * DAY_MS);
    await run.run((await emit(2)).id);
    expect((await webhookRow(hook.id)).active).toBe(true);
    clock.advance(2 * DAY_MS + 1000);
    await run.run((await emit(3)).id);
    expect(await webhookRow(hook.id)).toMatchObject({ active: false, disabledReason: "failing", consecutiveFailures: 3 });
    const disabled = await db.select().from(events).where(eq(events.aggregateId, hook.id));
    expect(disabled).toHaveLength(1);
    expect(disabled[0]).toMatchObject({ type: "webhook.disabled", payload: { reason: "failing" } });
    // The owner re-enables it: the record starts afresh.
    const res = await sendJson(`/v1/webhooks/${hook.id}`, "PATCH", { active: true }, instructor.headers);
    expect(await res.json()).toMatchObject({
      active: true,
      disabledAt: null,
      disabledReason: null,
      failingSince: null,
      consecutiveFailures: 0,
    });
  });

  it("replays one delivery with the same webhook-id, and recovers every failed delivery since a time", async () => {
    const { instructor, hook, run, emit, key, url } = await setup("fail");
    const first = await emit(1);
    const second = await emit(2);
    for (const event of [first, second]) {
      await run.run(event.id);
      await db.update(eventDeliveries).set({ status: "FAILED", nextAttemptAt: null }).where(eq(eventDeliveries.eventId, event.id));
    }
    // The receiver is fixed.
    const fixed = receiverUrl();
    expect((await sendJson(`/v1/webhooks/${hook.id}`, "PATCH", { url: fixed }, instructor.headers)).status).toBe(200);

    const [logged] = await deliveries(instructor, hook.id, "?limit=1");
    const replay = await sendJson(`/v1/webhooks/${hook.id}/deliveries/${logged!.id}/replay`, "POST", {}, instructor.headers);
    expect(replay.status).toBe(202);
    const replayedEvent = logged!.eventId as string;
    await run.run(replayedEvent, key);
    const [replayed] = await received(fixed);
    expect(replayed!.headers["webhook-id"]).toBe(replayedEvent);
    expect((await deliveryRows(replayedEvent))[key]).toMatchObject({ status: "SUCCEEDED", attempts: 1 });
    // A replay of a delivery still in flight is refused.
    const other = [first.id, second.id].find((id) => id !== replayedEvent)!;
    await db.update(eventDeliveries).set({ status: "RETRYING" }).where(eq(eventDeliveries.eventId, other));
    const otherLog = (await deliveries(instructor, hook.id)).find((d) => d.eventId === other)!;
    expect((await sendJson(`/v1/webhooks/${hook.id}/deliveries/${otherLog.id}/replay`, "POST", {}, instructor.headers)).status).toBe(409);
    await db.update(eventDeliveries).set({ status: "FAILED" }).where(eq(eventDeliveries.eventId, other));

    const recover = await sendJson(
      `/v1/webhooks/${hook.id}/recover`,
      "POST",
      { since: new Date(clock.now() - 60_000).toISOString() },
      instructor.headers,
    );
    expect(recover.status).toBe(202);
    expect(await recover.json()).toMatchObject({ recovered: 1 });
    await run.run(other, key);
    expect((await received(fixed)).map((r) => r.headers["webhook-id"]).sort()).toEqual([first.id, second.id].sort());
    expect(await received(url)).toHaveLength(2);
    expect((await sendJson(`/v1/webhooks/${hook.id}/recover`, "POST", { since: "yesterday" }, instructor.headers)).status).toBe(400);
  });
});

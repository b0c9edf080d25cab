import { env } from "cloudflare:workers";
import { describe, expect, it } from "vitest";
import { loadConfig } from "../../src/config";
import type { Env } from "../../src/env";
import { clock } from "../../src/lib/clock";
import { newId } from "../../src/lib/ids";
import { enqueue } from "../../src/lib/queue";
import { MAINTENANCE_CRON, runCron } from "../../workers/cron";
import { capturingEnv, jobRow } from "./helpers";

/** A PROCESSING delivery of a fresh event, last touched `at`: an attempt the runtime was in the middle of. */
async function deliveryInProgress(at: number) {
  const eventId = newId("event", at);
  await env.DB.batch([
    env.DB.prepare(
      `INSERT INTO events (id, type, aggregate_type, aggregate_id, version, payload, status, attempts, created_at)
       VALUES (?, 'webhook.test', 'webhook', 'whk_restart', 1, '{}', 'PROCESSING', 1, ?)`,
    ).bind(eventId, at),
    env.DB.prepare(
      `INSERT INTO event_deliveries (event_id, subscriber, status, attempts, next_attempt_at, created_at, updated_at)
       VALUES (?, 'webhook:whk_restart', 'PROCESSING', 1, ?, ?, ?)`,
    ).bind(eventId, at, at, at),
  ]);
  return eventId;
}

const deliveryStatus = (eventId: string) =>
  env.DB.prepare("SELECT status, next_attempt_at AS nextAttemptAt FROM event_deliveries WHERE event_id = ?")
    .bind(eventId)
    .first<{ status: string; nextAttemptAt: number }>();

describe("a local runtime that restarted (LOCAL_RUNTIME_STARTED_AT)", () => {
  it("recovers at its first tick what died with the previous runtime, and leaves the rest alone", async () => {
    const before = capturingEnv();
    const waiting = (await enqueue(before.env, "metrics.rollup", {})).job; // its message was in the old runtime's queue
    const running = (await enqueue(before.env, "metrics.rollup", {})).job;
    await env.DB.prepare("UPDATE jobs SET status = 'ACTIVE', attempts = 1, started_at = ? WHERE id = ?")
      .bind(clock.now(), running.id)
      .run();
    const retryLater = (await enqueue(before.env, "metrics.rollup", {}, { delaySeconds: 600 })).job;
    const delivery = await deliveryInProgress(clock.now());

    clock.advance(5_000);
    const startedAt = clock.now();
    clock.advance(5_000);
    const after = capturingEnv();
    const fresh = (await enqueue(after.env, "metrics.rollup", {})).job; // sent by the new runtime: its message is alive
    const restarted = { ...after.env, LOCAL_RUNTIME_STARTED_AT: String(startedAt) } as Env;

    const outcome = await runCron(MAINTENANCE_CRON, restarted);
    expect(outcome["recover-after-restart"]).toEqual({ deliveries: 1, requeued: 1, failed: 0, messagesLost: 2, resent: 1 });
    const sentFor = (id: string) => after.sent.filter((message) => message.body.jobId === id).length;
    expect([sentFor(waiting.id), sentFor(running.id), sentFor(fresh.id), sentFor(retryLater.id)]).toEqual([1, 1, 1, 0]);
    expect(await jobRow(running.id)).toMatchObject({
      status: "PENDING",
      error: "RuntimeStopped: The local runtime stopped while the job ran",
    });
    // Due in ten minutes and without a message now: the release cron sends it when it comes due.
    expect(await jobRow(retryLater.id)).toMatchObject({ status: "DELAYED", enqueuedAt: null });
    const retry = await deliveryStatus(delivery);
    expect(retry?.status).toBe("RETRYING"); // due at once: the recovered dispatch job runs it
    expect(retry?.nextAttemptAt).toBeGreaterThan(startedAt);
    expect(retry?.nextAttemptAt).toBeLessThanOrEqual(clock.now());

    // Once recovered, nothing is older than the runtime any more: the next tick sends nothing again.
    const again = await runCron(MAINTENANCE_CRON, restarted);
    expect(again["recover-after-restart"]).toEqual({ deliveries: 0, requeued: 0, failed: 0, messagesLost: 0, resent: 0 });
    expect(after.sent.filter((message) => [waiting.id, running.id].includes(message.body.jobId))).toHaveLength(2);
  });

  it("is a setting for local runs only", () => {
    expect(loadConfig({ ...env, LOCAL_RUNTIME_STARTED_AT: "1796316664737" } as Env).localRuntimeStartedAt).toBe(1796316664737);
    for (const environment of ["staging", "production"]) {
      expect(() => loadConfig({ ...env, ENVIRONMENT: environment, LOCAL_RUNTIME_STARTED_AT: "1796316664737" } as Env)).toThrow(
        /LOCAL_RUNTIME_STARTED_AT/,
      );
    }
  });

  it("does nothing where the setting is unset (the edge keeps its messages)", async () => {
    const captured = capturingEnv();
    const { job } = await enqueue(captured.env, "metrics.rollup", {});
    clock.advance(60_000);
    const outcome = await runCron(MAINTENANCE_CRON, captured.env);
    expect(outcome["recover-after-restart"]).toEqual({ skipped: "not a local runtime" });
    expect(captured.sent.filter((message) => message.body.jobId === job.id)).toHaveLength(1); // its enqueue's, no other
  });
});

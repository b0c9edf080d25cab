import { env } from "cloudflare:workers";
import { afterEach, describe, expect, it } from "vitest";
import { createDb } from "../../src/db";
import { clock } from "../../src/lib/clock";
import { enqueue, enqueueStatements } from "../../src/lib/queue";
import { setQueuePausedStatement } from "../../src/lib/queue/queue-state";
import { MAINTENANCE_CRON, runCron } from "../../workers/cron";
import { JOB_HANDLERS } from "../../workers/job-handlers";
import { STUCK_JOB_TIMEOUT_MS } from "../../workers/job-runner";
import { capturingEnv, deliver, failingQueueEnv, jobRow } from "./helpers";

const HOUR = 3_600_000;

afterEach(async () => {
  delete JOB_HANDLERS["metrics.rollup"];
  await env.DB.prepare("DELETE FROM queue_states").run();
});

describe("producer", () => {
  it("refuses an invalid payload at enqueue time and writes nothing", async () => {
    const before = await env.DB.prepare("SELECT count(*) AS n FROM jobs").first<{ n: number }>();
    const captured = capturingEnv();
    await expect(enqueue(captured.env, "attempt.score", { attemptId: "not-an-id" } as never)).rejects.toMatchObject({
      code: "validation_failed",
      errors: [{ path: "payload.attemptId" }],
    });
    await expect(
      enqueue(captured.env, "attempt.score", { attemptId: "att_01JD0000000000000000000000", extra: 1 } as never),
    ).rejects.toMatchObject({
      code: "validation_failed",
    });
    await expect(enqueue(captured.env, "metrics.rollup", {}, { maxAttempts: 0 })).rejects.toMatchObject({ code: "validation_failed" });
    const after = await env.DB.prepare("SELECT count(*) AS n FROM jobs").first<{ n: number }>();
    expect(after!.n).toBe(before!.n);
    expect(captured.sent).toEqual([]);
  });

  it("routes each job type to its queue", async () => {
    const captured = capturingEnv();
    const { job } = await enqueue(captured.env, "attempt.score", { attemptId: "att_01JD0000000000000000000001" });
    expect(job.queue).toBe("scoring");
    expect(captured.sent[0]!.binding).toBe("QUEUE_SCORING");
  });

  it("an idempotency key returns the existing job instead of a second one", async () => {
    const captured = capturingEnv();
    const key = `rollup-${crypto.randomUUID()}`;
    const first = await enqueue(captured.env, "metrics.rollup", {}, { idempotencyKey: key });
    const second = await enqueue(captured.env, "metrics.rollup", {}, { idempotencyKey: key });
    expect(first.created).toBe(true);
    expect(second).toMatchObject({ created: false, job: { id: first.job.id } });
    expect(captured.sent).toHaveLength(1);
  });

  it("enqueueStatements puts the row in the caller's batch; send() after the commit sends once", async () => {
    const captured = capturingEnv();
    const db = createDb(env.DB);
    const key = `batch-${crypto.randomUUID()}`;
    const prepared = enqueueStatements(db, "metrics.rollup", {}, { idempotencyKey: key });
    const twin = enqueueStatements(db, "metrics.rollup", {}, { idempotencyKey: key });
    await db.batch([...prepared.statements, ...twin.statements]);
    expect(await prepared.send(captured.env)).toBe(true);
    expect(await twin.send(captured.env)).toBe(false); // its row never landed: the key was taken
    expect(await prepared.send(captured.env)).toBe(false); // already sent
    expect(captured.sent.map((m) => m.body.jobId)).toEqual([prepared.job.id]);
  });

  it("a coalesce key adds no job while one with the key waits, and a new one once it has started", async () => {
    const captured = capturingEnv();
    const db = createDb(env.DB);
    const key = `coalesce-${crypto.randomUUID()}`;
    const first = enqueueStatements(db, "metrics.rollup", {}, { coalesceKey: key });
    await db.batch(first.statements);
    const absorbed = enqueueStatements(db, "metrics.rollup", {}, { coalesceKey: key });
    await db.batch(absorbed.statements);
    expect(await absorbed.send(captured.env)).toBe(false);
    expect(await absorbed.carrierId()).toBe(first.job.id);
    const standalone = await enqueue(captured.env, "metrics.rollup", {}, { coalesceKey: key });
    expect(standalone).toMatchObject({ created: false, job: { id: first.job.id } });

    // A delayed (retrying) job still waits; a running one no longer does.
    await env.DB.prepare("UPDATE jobs SET status = 'DELAYED' WHERE id = ?").bind(first.job.id).run();
    expect((await enqueue(captured.env, "metrics.rollup", {}, { coalesceKey: key })).created).toBe(false);
    await env.DB.prepare("UPDATE jobs SET status = 'ACTIVE' WHERE id = ?").bind(first.job.id).run();
    const next = enqueueStatements(db, "metrics.rollup", {}, { coalesceKey: key });
    await db.batch(next.statements);
    expect(await next.carrierId()).toBe(next.job.id);
    expect(await next.send(captured.env)).toBe(true);
    expect((await jobRow(next.job.id)).coalesceKey).toBe(key);
  });

  it("a row whose message could not be sent is re-sent by the cron after a grace period", async () => {
    const { job } = await enqueue(failingQueueEnv(), "metrics.rollup", {});
    expect((await jobRow(job.id)).enqueuedAt).toBeNull();

    const captured = capturingEnv();
    await runCron(MAINTENANCE_CRON, captured.env);
    expect(captured.sent.filter((m) => m.body.jobId === job.id)).toEqual([]); // too young: may still be mid-enqueue

    clock.advance(31_000);
    const outcome = await runCron(MAINTENANCE_CRON, captured.env);
    expect(outcome["resend-unsent-jobs"]).toMatchObject({ resent: expect.any(Number) });
    expect(captured.sent.filter((m) => m.body.jobId === job.id)).toHaveLength(1);
    expect((await jobRow(job.id)).enqueuedAt).not.toBeNull();
  });
});

describe("lost messages", () => {
  it("re-sends a waiting job whose message never arrived, once per half hour", async () => {
    const captured = capturingEnv();
    const { job } = await enqueue(captured.env, "metrics.rollup", {});
    clock.advance(29 * 60_000);
    await runCron(MAINTENANCE_CRON, captured.env);
    expect(captured.sent.filter((m) => m.body.jobId === job.id)).toHaveLength(1);
    clock.advance(2 * 60_000);
    const outcome = await runCron(MAINTENANCE_CRON, captured.env);
    expect(outcome["resend-unsent-jobs"]).toMatchObject({ lost: expect.any(Number) });
    expect(captured.sent.filter((m) => m.body.jobId === job.id)).toHaveLength(2);
    await runCron(MAINTENANCE_CRON, captured.env);
    expect(captured.sent.filter((m) => m.body.jobId === job.id)).toHaveLength(2);
  });
});

describe("scheduled jobs", () => {
  it("a delay within the Queues limit is sent at once with that delay, as DELAYED", async () => {
    const captured = capturingEnv();
    const { job } = await enqueue(captured.env, "metrics.rollup", {}, { delaySeconds: 600 });
    expect(job).toMatchObject({ status: "DELAYED", scheduledFor: job.createdAt + 600_000 });
    expect(captured.sent[0]!.delaySeconds).toBe(600);
  });

  it("a job beyond 12 hours waits in D1 and the cron releases it on time", async () => {
    const captured = capturingEnv();
    const runAt = clock.now() + 30 * HOUR;
    const { job } = await enqueue(captured.env, "metrics.rollup", {}, { scheduledFor: runAt });
    expect(job.status).toBe("DELAYED");
    expect(captured.sent).toEqual([]);

    clock.advance(29 * HOUR);
    await runCron(MAINTENANCE_CRON, captured.env);
    expect(captured.sent.filter((m) => m.body.jobId === job.id)).toEqual([]);

    clock.advance(HOUR - 30_000); // 30 s before it is due: inside this tick's window
    await runCron(MAINTENANCE_CRON, captured.env);
    const released = captured.sent.filter((m) => m.body.jobId === job.id);
    expect(released).toHaveLength(1);
    expect(released[0]!.delaySeconds).toBe(30);

    JOB_HANDLERS["metrics.rollup"] = async () => "ran";
    clock.advance(30_000);
    await deliver("default", [{ body: released[0]!.body }], captured.env);
    const done = await jobRow(job.id);
    expect(done.status).toBe("COMPLETED");
    expect(done.startedAt).toBeGreaterThanOrEqual(runAt);
  });
});

describe("stuck-job recovery", () => {
  async function stuckJob(maxAttempts: number) {
    const captured = capturingEnv();
    JOB_HANDLERS["metrics.rollup"] = async () => {
      // Simulates a consumer that dies mid-run: the job is left ACTIVE.
      throw Object.assign(new Error("isolate died"), { stuck: true });
    };
    const { job } = await enqueue(captured.env, "metrics.rollup", {}, { maxAttempts });
    await env.DB.prepare("UPDATE jobs SET status = 'ACTIVE', attempts = 1, started_at = ? WHERE id = ?").bind(clock.now(), job.id).run();
    return { job, captured };
  }

  it("requeues an ACTIVE job past the timeout when it has attempts left", async () => {
    const { job, captured } = await stuckJob(3);
    clock.advance(STUCK_JOB_TIMEOUT_MS - 60_000);
    await runCron(MAINTENANCE_CRON, captured.env);
    expect((await jobRow(job.id)).status).toBe("ACTIVE");

    clock.advance(120_000);
    const outcome = await runCron(MAINTENANCE_CRON, captured.env);
    expect(outcome["recover-stuck-jobs"]).toMatchObject({ requeued: expect.any(Number) });
    const row = await jobRow(job.id);
    expect(row).toMatchObject({ status: "PENDING", attempts: 1 });
    expect(row.error).toContain("JobTimeout");
    expect(captured.sent.filter((m) => m.body.jobId === job.id)).toHaveLength(2);
  });

  it("fails it when no attempts are left", async () => {
    const { job, captured } = await stuckJob(1);
    clock.advance(STUCK_JOB_TIMEOUT_MS + 60_000);
    await runCron(MAINTENANCE_CRON, captured.env);
    const row = await jobRow(job.id);
    expect(row.status).toBe("FAILED");
    expect(row.error).toContain("Timed out");
  });

  it("a duplicate message for a job still running is dropped, not run twice", async () => {
    const { job, captured } = await stuckJob(3);
    const result = await deliver("default", [{ body: captured.sent[0]!.body, attempts: 2 }], captured.env);
    expect(result.explicitAcks).toEqual(result.ids);
    expect(await jobRow(job.id)).toMatchObject({ status: "ACTIVE", attempts: 1 });
  });
});

describe("pause and resume", () => {
  it("parks messages of a paused queue without running or counting them; resume sends them again", async () => {
    let runs = 0;
    JOB_HANDLERS["metrics.rollup"] = async () => ++runs;
    const captured = capturingEnv();
    const { job } = await enqueue(captured.env, "metrics.rollup", {});
    const db = createDb(env.DB);
    await setQueuePausedStatement(db, "default", true, null, clock.now());

    const parked = await deliver("default", [{ body: captured.sent[0]!.body }], captured.env);
    expect(parked.explicitAcks).toEqual(parked.ids);
    expect(runs).toBe(0);
    expect(await jobRow(job.id)).toMatchObject({ status: "PENDING", attempts: 0, enqueuedAt: null });

    // The cron leaves a paused queue's jobs alone.
    clock.advance(120_000);
    await runCron(MAINTENANCE_CRON, captured.env);
    expect(captured.sent.filter((m) => m.body.jobId === job.id)).toHaveLength(1);

    await setQueuePausedStatement(db, "default", false, null, clock.now());
    await runCron(MAINTENANCE_CRON, captured.env);
    const resent = captured.sent.filter((m) => m.body.jobId === job.id);
    expect(resent).toHaveLength(2);
    await deliver("default", [{ body: resent[1]!.body }], captured.env);
    expect(runs).toBe(1);
    expect(await jobRow(job.id)).toMatchObject({ status: "COMPLETED", attempts: 1 });
  });
});

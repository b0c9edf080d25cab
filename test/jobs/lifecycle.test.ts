import { env } from "cloudflare:workers";
import { afterEach, describe, expect, it } from "vitest";
import { clock } from "../../src/lib/clock";
import { enqueue } from "../../src/lib/queue";
import { backoffDelaySeconds } from "../../src/lib/queue/backoff";
import { JOB_HANDLERS } from "../../workers/job-handlers";
import { PermanentJobError, type JobHandler } from "../../workers/job-handler";
import { capturingEnv, deliver, jobRow } from "./helpers";

/** metrics.rollup has no production handler yet, so each test installs its own. */
function installHandler(handler: JobHandler<never>) {
  JOB_HANDLERS["metrics.rollup"] = handler;
}

afterEach(() => {
  delete JOB_HANDLERS["metrics.rollup"];
});

async function enqueueRollup(opts: Parameters<typeof enqueue>[3] = {}, payload: Record<string, unknown> = {}) {
  const captured = capturingEnv();
  const { job } = await enqueue(captured.env, "metrics.rollup", payload, opts);
  return { job, captured };
}

describe("job lifecycle", () => {
  it("runs a job to COMPLETED with its result, progress and timings", async () => {
    installHandler(async ({ progress, attempt }) => {
      await progress(40, "halfway-ish");
      return { rolledUp: 7, attempt };
    });
    const { job, captured } = await enqueueRollup();
    expect(job.status).toBe("PENDING");
    expect(captured.sent).toEqual([{ binding: "QUEUE_DEFAULT", body: { jobId: job.id, type: "metrics.rollup" }, delaySeconds: 0 }]);
    expect((await jobRow(job.id)).enqueuedAt).not.toBeNull();

    const result = await deliver("default", [{ body: captured.sent[0]!.body }]);
    expect(result.explicitAcks).toEqual(result.ids);
    const done = await jobRow(job.id);
    expect(done).toMatchObject({ status: "COMPLETED", attempts: 1, progress: 100, result: { rolledUp: 7, attempt: 1 }, error: null });
    expect(done.startedAt).not.toBeNull();
    expect(done.finishedAt).toBeGreaterThanOrEqual(done.startedAt!);
  });

  it("reports progress while the job runs", async () => {
    let seen: unknown;
    installHandler(async ({ progress, job }) => {
      await progress(55.4, "processing chunk 2");
      seen = await jobRow(job.id);
      return null;
    });
    const { captured } = await enqueueRollup();
    await deliver("default", [{ body: captured.sent[0]!.body }]);
    expect(seen).toMatchObject({ status: "ACTIVE", progress: 55, progressMessage: "processing chunk 2" });
  });

  it("retries with exponential backoff and jitter, then completes", async () => {
    let calls = 0;
    installHandler(async () => {
      calls++;
      if (calls < 3) throw new Error(`flaky ${calls}`);
      return { ok: true };
    });
    const { job, captured } = await enqueueRollup({ maxAttempts: 3 });
    const body = captured.sent[0]!.body;

    // The test harness records that a message was retried, not its delay: the row carries the schedule.
    const delayOf = async () => {
      const row = await jobRow(job.id);
      return (row.scheduledFor! - row.updatedAt) / 1000;
    };
    const first = await deliver("default", [{ body, attempts: 1 }]);
    expect(first.retryMessages.map((m) => m.msgId)).toEqual(first.ids);
    expect(await jobRow(job.id)).toMatchObject({ status: "DELAYED", attempts: 1, error: "Error: flaky 1" });
    const delay1 = await delayOf();
    expect(delay1).toBeGreaterThanOrEqual(8);
    expect(delay1).toBeLessThanOrEqual(13);

    clock.advance(delay1 * 1000);
    const second = await deliver("default", [{ body, attempts: 2 }]);
    expect(second.retryMessages).toHaveLength(1);
    const delay2 = await delayOf();
    expect(delay2).toBeGreaterThanOrEqual(15);
    expect(delay2).toBeLessThanOrEqual(25);

    clock.advance(delay2 * 1000);
    const third = await deliver("default", [{ body, attempts: 3 }]);
    expect(third.explicitAcks).toEqual(third.ids);
    expect(await jobRow(job.id)).toMatchObject({ status: "COMPLETED", attempts: 3, result: { ok: true }, error: null });
  });

  it("the backoff schedule doubles from 10 s with ±25 % jitter, capped at an hour", () => {
    const low = () => 0;
    const mid = () => 0.5;
    const high = () => 1;
    expect([1, 2, 3, 4, 5].map((n) => backoffDelaySeconds(n, mid))).toEqual([10, 20, 40, 80, 160]);
    expect(backoffDelaySeconds(1, low)).toBe(8);
    expect(backoffDelaySeconds(1, high)).toBe(13);
    expect(backoffDelaySeconds(20, mid)).toBe(3600);
    expect(backoffDelaySeconds(20, high)).toBe(4500);
  });

  it("an early redelivery of a retrying job waits for its time instead of running", async () => {
    installHandler(async () => {
      throw new Error("down");
    });
    const { job, captured } = await enqueueRollup({ maxAttempts: 3 });
    await deliver("default", [{ body: captured.sent[0]!.body }]);
    const early = await deliver("default", [{ body: captured.sent[0]!.body, attempts: 2 }]);
    expect(early.retryMessages).toHaveLength(1);
    expect((await jobRow(job.id)).attempts).toBe(1);
  });

  it("fails after max attempts with the error on the row and in error_logs", async () => {
    installHandler(async () => {
      throw new Error("rollup source unreachable");
    });
    const { job, captured } = await enqueueRollup({ maxAttempts: 2 });
    const body = captured.sent[0]!.body;
    await deliver("default", [{ body }]);
    clock.advance(60_000);
    const last = await deliver("default", [{ body, attempts: 2 }]);
    expect(last.explicitAcks).toEqual(last.ids);
    expect(last.retryMessages).toEqual([]);
    const failed = await jobRow(job.id);
    expect(failed).toMatchObject({ status: "FAILED", attempts: 2, error: "Error: rollup source unreachable" });
    expect(failed.finishedAt).not.toBeNull();
    const log = await env.DB.prepare("SELECT source, path, body, message FROM error_logs WHERE body LIKE ?").bind(`%${job.id}%`).first();
    expect(log).toMatchObject({ source: "queue", path: "job:metrics.rollup", message: "rollup source unreachable" });
  });

  it("a permanent error fails at once, without retries", async () => {
    installHandler(async () => {
      throw new PermanentJobError("input gone");
    });
    const { job, captured } = await enqueueRollup({ maxAttempts: 5 });
    const result = await deliver("default", [{ body: captured.sent[0]!.body }]);
    expect(result.retryMessages).toEqual([]);
    expect(await jobRow(job.id)).toMatchObject({ status: "FAILED", attempts: 1 });
  });

  it("a job type with no handler fails instead of retrying forever", async () => {
    const { job, captured } = await enqueueRollup({ maxAttempts: 5 });
    await deliver("default", [{ body: captured.sent[0]!.body }]);
    expect(await jobRow(job.id)).toMatchObject({ status: "FAILED", error: "PermanentJobError: No handler for job type metrics.rollup" });
  });

  it("redelivery of a COMPLETED job does nothing", async () => {
    let calls = 0;
    installHandler(async () => ++calls);
    const { job, captured } = await enqueueRollup();
    const body = captured.sent[0]!.body;
    await deliver("default", [{ body }]);
    const again = await deliver("default", [
      { body, attempts: 2 },
      { body, attempts: 3 },
    ]);
    expect(again.explicitAcks).toEqual(again.ids);
    expect(calls).toBe(1);
    expect(await jobRow(job.id)).toMatchObject({ status: "COMPLETED", attempts: 1, result: 1 });
  });

  it("two copies of one message in the same batch run the job once", async () => {
    let calls = 0;
    installHandler(async () => ++calls);
    const { job, captured } = await enqueueRollup();
    const body = captured.sent[0]!.body;
    await deliver("default", [{ body }, { body }]);
    expect(calls).toBe(1);
    expect((await jobRow(job.id)).attempts).toBe(1);
  });

  it("drops messages that are not jobs or name no job, acking them", async () => {
    const result = await deliver("default", [
      { body: "junk" },
      { body: { jobId: "job_01JDZZZZZZZZZZZZZZZZZZZZZZ", type: "metrics.rollup" } },
    ]);
    expect(result.explicitAcks).toEqual(result.ids);
  });
});

describe("dead-letter queue", () => {
  it("records a dead-lettered job as FAILED with its last error, never losing it", async () => {
    installHandler(async () => {
      throw new Error("crash");
    });
    const { job, captured } = await enqueueRollup({ maxAttempts: 10 });
    const body = captured.sent[0]!.body;
    await deliver("default", [{ body }]);
    const dead = await deliver("dlq", [{ body, attempts: 6 }]);
    expect(dead.explicitAcks).toEqual(dead.ids);
    const row = await jobRow(job.id);
    expect(row.status).toBe("FAILED");
    expect(row.error).toContain("Dead-lettered after 6 deliveries; last error: Error: crash");
    const log = await env.DB.prepare("SELECT error_type FROM error_logs WHERE body LIKE ?").bind(`%${job.id}%`).first();
    expect(log).toMatchObject({ error_type: "DeadLetteredJob" });
  });

  it("leaves a job that already finished alone", async () => {
    installHandler(async () => "done");
    const { job, captured } = await enqueueRollup();
    const body = captured.sent[0]!.body;
    await deliver("default", [{ body }]);
    await deliver("dlq", [{ body }]);
    expect(await jobRow(job.id)).toMatchObject({ status: "COMPLETED", result: "done" });
  });

  it("records a dead-lettered message that is not a job in error_logs", async () => {
    const result = await deliver("dlq", [{ body: { strange: true }, id: "dlq-strange-1" }]);
    expect(result.explicitAcks).toEqual(["dlq-strange-1"]);
    const log = await env.DB.prepare("SELECT message FROM error_logs WHERE body LIKE '%dlq-strange-1%'").first();
    expect(log).toMatchObject({ message: "Dead-lettered message is not a job" });
  });
});

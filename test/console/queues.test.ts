import { env } from "cloudflare:workers";
import { afterEach, describe, expect, it } from "vitest";
import { createDb } from "../../src/db";
import type { JobStatus, QueueName } from "../../src/db/schema";
import { clock } from "../../src/lib/clock";
import { newId } from "../../src/lib/ids";
import { Logger } from "../../src/lib/logger";
import { enqueue } from "../../src/lib/queue";
import type { JobHandler } from "../../workers/job-handler";
import { runJobMessage } from "../../workers/job-runner";
import { consoleAs } from "../helpers/console";
import { capturingEnv, jobRow } from "../jobs/helpers";

const HOSTILE = `<script>alert("x")</script><img src=x onerror=alert(1)>"'&`;

afterEach(async () => {
  await env.DB.prepare("DELETE FROM queue_states").run();
});

/** A job row written straight to D1 (no queue message, so nothing runs it behind the test's back). */
async function jobAt(fields: {
  status: JobStatus;
  queue?: QueueName;
  type?: string;
  createdAt?: number;
  finishedAt?: number | null;
  payload?: Record<string, unknown>;
  error?: string | null;
  attempts?: number;
}): Promise<string> {
  const createdAt = fields.createdAt ?? clock.now();
  const id = newId("job", createdAt);
  await env.DB.prepare(
    `INSERT INTO jobs (id, type, queue, status, payload, error, attempts, max_attempts, finished_at, scheduled_for, created_at, updated_at)
     VALUES (?, ?, ?, ?, ?, ?, ?, 3, ?, ?, ?, ?)`,
  )
    .bind(
      id,
      fields.type ?? "metrics.rollup",
      fields.queue ?? "default",
      fields.status,
      JSON.stringify(fields.payload ?? {}),
      fields.error ?? null,
      fields.attempts ?? 0,
      fields.finishedAt ?? (["COMPLETED", "FAILED", "CANCELLED"].includes(fields.status) ? createdAt : null),
      fields.status === "DELAYED" ? createdAt + 3_600_000 : null,
      createdAt,
      createdAt,
    )
    .run();
  return id;
}

/** One delivery of the job's message through the real runner, with the test's handler for its type. */
async function runWith(jobId: string, handler: JobHandler<never>) {
  const message = {
    id: `msg-${crypto.randomUUID()}`,
    timestamp: new Date(),
    attempts: 1,
    body: { jobId, type: "metrics.rollup" },
    ack() {},
    retry() {},
  } as unknown as Message;
  return runJobMessage(message, {
    env,
    db: createDb(env.DB),
    logger: new Logger({}, "error"),
    queue: "default",
    paused: false,
    handlers: { "metrics.rollup": handler },
  });
}

const auditCount = async (action: string, targetId: string) =>
  (await env.DB.prepare("SELECT count(*) AS n FROM audit_logs WHERE action = ? AND target_id = ?")
    .bind(action, targetId)
    .first<{ n: number }>())!.n;

const pausedRow = (queue: string) =>
  env.DB.prepare("SELECT paused FROM queue_states WHERE queue = ?").bind(queue).first<{ paused: number }>();

describe("console: queues", () => {
  it("shows every queue's counts, throughput and state in a live region, linking each count to its jobs", async () => {
    const { browser } = await consoleAs();
    await jobAt({ status: "FAILED", queue: "exports", type: "export.run" });
    const html = await browser.page("/admin/queues");
    for (const queue of ["default", "scoring", "emails", "exports", "ai", "indexing", "webhooks"]) {
      expect(html).toContain(`href="/admin/queues/${queue}"`);
    }
    expect(html).toContain('href="/admin/queues/exports?status=FAILED"');
    expect(html).toMatch(/id="queues-live" data-refresh="5"/);
    expect(html).toContain("Per minute");
    expect(html).toContain("Avg duration");
    expect(html).toContain('href="/admin/jobs/dead-letter"');
  });

  it("pauses and resumes a queue from the page, through the audited API", async () => {
    const { browser } = await consoleAs();
    const paused = await browser.post("/admin/queues/emails/pause", { _back: "/admin/queues" });
    expect(paused.status).toBe(303);
    expect(paused.headers.get("Location")).toBe("/admin/queues");
    expect((await pausedRow("emails"))?.paused).toBe(1);
    const page = await browser.page("/admin/queues");
    expect(page).toContain("The emails queue is paused");
    expect(page).toContain('action="/admin/queues/emails/resume"');
    expect(await auditCount("queue.paused", "emails")).toBeGreaterThanOrEqual(1);

    await browser.post("/admin/queues/emails/resume", { _back: "/admin/queues/emails" });
    expect((await pausedRow("emails"))?.paused).toBe(0);
    expect(await browser.page("/admin/queues/emails")).toContain("The emails queue is running again");
    expect(await auditCount("queue.resumed", "emails")).toBeGreaterThanOrEqual(1);
  });

  it("cleans finished jobs of the chosen status and age, and says how many", async () => {
    const { browser } = await consoleAs();
    const old = await jobAt({ status: "COMPLETED", queue: "indexing", type: "index.rebuild", createdAt: clock.now() - 7_200_000 });
    const oldFailed = await jobAt({ status: "FAILED", queue: "indexing", type: "index.rebuild", createdAt: clock.now() - 7_200_000 });
    const fresh = await jobAt({ status: "COMPLETED", queue: "indexing", type: "index.rebuild" });
    const res = await browser.post("/admin/queues/indexing/clean", { status: "COMPLETED", olderThanSeconds: "3600" });
    expect(res.headers.get("Location")).toBe("/admin/queues");
    expect(await browser.page("/admin/queues")).toMatch(/\d+ completed jobs? (was|were) deleted from the indexing queue\./);
    await expect(jobRow(old)).rejects.toThrow("not found");
    expect((await jobRow(oldFailed)).status).toBe("FAILED");
    expect((await jobRow(fresh)).status).toBe("COMPLETED");
    expect(await auditCount("queue.cleaned", "indexing")).toBe(1);

    // A missing age is never taken as "any age": the API refuses it and nothing is deleted.
    await browser.post("/admin/queues/indexing/clean", { status: "FAILED" });
    expect(await browser.page("/admin/queues")).toContain("flash-error");
    expect((await jobRow(oldFailed)).status).toBe("FAILED");
  });

  it("lists a queue's jobs by status and type, pages with the cursor, and shows refused filters", async () => {
    const { browser } = await consoleAs();
    const base = Date.parse("2033-05-01T10:00:00Z");
    const ids: string[] = [];
    for (let i = 0; i < 51; i++) ids.push(await jobAt({ status: "FAILED", queue: "ai", type: "ai.hints", createdAt: base + i * 1000 }));
    const other = await jobAt({ status: "COMPLETED", queue: "ai", type: "ai.hints", createdAt: base + 60_000 });

    const window = "from=2033-05-01T10%3A00&to=2033-05-01T11%3A00";
    const first = await browser.page(`/admin/queues/ai?status=FAILED&type=ai.hints&${window}`);
    expect(first).toContain(`/admin/jobs/${ids[50]}`);
    expect(first).not.toContain(`/admin/jobs/${ids[0]}"`);
    expect(first).not.toContain(`/admin/jobs/${other}`);
    expect(first).toMatch(/id="queue-live" data-refresh="5"/);
    expect(first).toContain('value="2033-05-01T10:00"');
    const next = /href="(\/admin\/queues\/ai\?[^"]*cursor=[^"]+)"/.exec(first)?.[1];
    expect(next).toBeDefined();
    const second = await browser.page(next!.replaceAll("&amp;", "&"));
    expect(second).toContain(`/admin/jobs/${ids[0]}`);
    expect(second).not.toContain(`/admin/jobs/${ids[50]}"`);
    expect(second).toContain("First page");

    const all = await browser.page(`/admin/jobs?queue=ai&status=COMPLETED&${window}`);
    expect(all).toContain(`/admin/jobs/${other}`);
    expect(all).not.toContain(`/admin/jobs/${ids[50]}`);

    const refused = await browser.page("/admin/jobs?from=yesterday");
    expect(refused).toContain("These filters were refused");
    expect((await browser.get("/admin/queues/nope")).status).toBe(404);
    expect((await browser.get("/admin/jobs/job_nope")).status).toBe(404);
  });

  it("shows a job's payload, result, error, attempts, progress and timeline, all escaped", async () => {
    const { browser } = await consoleAs();
    // A time of its own, so the lists below can be filtered down to this job whatever else the file created.
    const id = await jobAt({
      status: "FAILED",
      createdAt: Date.parse("2034-01-01T00:00:30Z"),
      payload: { note: HOSTILE, [HOSTILE]: [HOSTILE] },
      error: `Error: ${HOSTILE}`,
      attempts: 3,
    });
    await env.DB.prepare("UPDATE jobs SET progress = 40, progress_message = ?, result = ?, started_at = created_at WHERE id = ?")
      .bind(HOSTILE, JSON.stringify({ html: HOSTILE }), id)
      .run();
    const detail = await browser.page(`/admin/jobs/${id}`);
    expect(detail).toContain("3 of 3");
    expect(detail).toContain('<progress value="40" max="100"');
    expect(detail).toContain("Timeline");
    expect(detail).toMatch(/Created[\s\S]*Attempt 3 started[\s\S]*Failed/);
    expect(detail).toContain(`action="/admin/jobs/${id}/retry"`);
    expect(detail).not.toContain(`/admin/jobs/${id}/cancel`);
    expect(detail).not.toContain("data-refresh"); // a finished job is not live
    const window = "from=2034-01-01T00%3A00&to=2034-01-01T00%3A01";
    const lists = [await browser.page(`/admin/jobs/dead-letter?${window}`), await browser.page(`/admin/jobs?status=FAILED&${window}`)];
    for (const list of lists) expect(list).toContain(`/admin/jobs/${id}`);
    for (const html of [detail, ...lists]) {
      expect(html).not.toContain("<script>alert");
      expect(html).not.toContain("<img src=x");
      expect(html).toContain("&lt;script&gt;alert(");
    }
  });

  it("retries a failed job from the dead letters; it then runs and completes, live on its page", async () => {
    const { browser } = await consoleAs();
    const payload = { note: HOSTILE };
    const { job } = await enqueue(capturingEnv().env, "metrics.rollup", payload, { maxAttempts: 1 });
    await runWith(job.id, async () => {
      throw new Error(`upstream said ${HOSTILE}`);
    });
    expect(await jobRow(job.id)).toMatchObject({ status: "FAILED", attempts: 1 });

    const deadLetters = await browser.page("/admin/jobs/dead-letter?queue=default&type=metrics.rollup");
    expect(deadLetters).toContain(`action="/admin/jobs/${job.id}/retry"`);
    expect(deadLetters).toContain("upstream said &lt;script&gt;");

    // Paused, so the message the retry sends waits instead of meeting the production handlers; the test delivers it.
    await browser.post("/admin/queues/default/pause");
    const back = "/admin/jobs/dead-letter?queue=default&type=metrics.rollup";
    const retried = await browser.post(`/admin/jobs/${job.id}/retry`, { _back: back });
    expect(retried.headers.get("Location")).toBe(back);
    expect(await browser.page(back)).toContain("The job is queued again");
    expect(await jobRow(job.id)).toMatchObject({ status: "PENDING", attempts: 0, error: null });
    expect(await auditCount("job.retried", job.id)).toBe(1);
    const waiting = await browser.page(`/admin/jobs/${job.id}`);
    expect(waiting).toMatch(/id="job-live" data-refresh="5"/);
    expect(waiting).toContain(`action="/admin/jobs/${job.id}/cancel"`);

    const outcome = await runWith(job.id, async ({ progress }) => {
      await progress(50, "halfway");
      return { rolledUp: 3 };
    });
    expect(outcome).toBe("completed");
    expect(await jobRow(job.id)).toMatchObject({ status: "COMPLETED", attempts: 1, result: { rolledUp: 3 }, error: null });
    const done = await browser.page(`/admin/jobs/${job.id}`);
    expect(done).toContain('id="job-live"');
    expect(done).not.toContain("data-refresh");
    expect(done).toContain("badge-completed");
    expect(done).toContain("&quot;rolledUp&quot;: 3");
    expect(done).toContain("1 of 1");
    expect(done).not.toContain(`/admin/jobs/${job.id}/retry`);

    await browser.post("/admin/queues/default/resume");
    expect((await pausedRow("default"))?.paused).toBe(0);
  });

  it("cancels a waiting job from its page", async () => {
    const { browser } = await consoleAs();
    const id = await jobAt({ status: "DELAYED" });
    const res = await browser.post(`/admin/jobs/${id}/cancel`);
    expect(res.headers.get("Location")).toBe(`/admin/jobs/${id}`);
    const page = await browser.page(`/admin/jobs/${id}`);
    expect(page).toContain("The job is cancelled");
    expect((await jobRow(id)).status).toBe("CANCELLED");
    expect(await auditCount("job.cancelled", id)).toBe(1);

    // Cancelling again is refused by the API, and the page says why.
    await browser.post(`/admin/jobs/${id}/cancel`);
    expect(await browser.page(`/admin/jobs/${id}`)).toMatch(/flash-error[^>]*>[^<]*cannot be cancelled/);
  });

  it("refuses a student's actions through the API's own checks, changing nothing", async () => {
    const failed = await jobAt({ status: "FAILED", error: "boom" });
    const waiting = await jobAt({ status: "DELAYED" });
    const done = await jobAt({ status: "COMPLETED", createdAt: clock.now() - 7_200_000 });
    const { browser } = await consoleAs("student");
    expect((await browser.get("/admin/queues")).status).toBe(403);
    expect((await browser.get(`/admin/jobs/${failed}`)).status).toBe(403);
    for (const [path, fields] of [
      [`/admin/jobs/${failed}/retry`, {}],
      [`/admin/jobs/${waiting}/cancel`, {}],
      ["/admin/queues/default/pause", {}],
      ["/admin/queues/default/clean", { status: "COMPLETED", olderThanSeconds: "0" }],
    ] as const) {
      expect((await browser.post(path, fields)).status).toBe(303);
    }
    expect(await jobRow(failed)).toMatchObject({ status: "FAILED", error: "boom" });
    expect((await jobRow(waiting)).status).toBe("DELAYED");
    expect((await jobRow(done)).status).toBe("COMPLETED");
    expect(await pausedRow("default")).toBeNull();
    expect(await auditCount("job.retried", failed)).toBe(0);
  });

  it("serves its pages under the strict CSP: no inline script, style or handler", async () => {
    const { browser } = await consoleAs();
    const id = await jobAt({ status: "PENDING", payload: { note: HOSTILE } });
    for (const path of ["/admin/queues", "/admin/queues/default", "/admin/jobs", "/admin/jobs/dead-letter", `/admin/jobs/${id}`]) {
      const html = await browser.page(path);
      expect(html).not.toMatch(/<script(?![^>]*\ssrc=)/);
      expect(html).not.toMatch(/<[^>]*\sstyle=/);
      expect(html).not.toMatch(/<[^>]*\son[a-z]+=/);
      expect(html).toContain('aria-label="Queue views"');
    }
  });
});

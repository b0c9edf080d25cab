import { env } from "cloudflare:workers";
import { afterEach, beforeAll, describe, expect, it } from "vitest";
import { clock } from "../../src/lib/clock";
import { enqueueStatements } from "../../src/lib/queue";
import { createDb } from "../../src/db";
import { createUser, type TestUser } from "../helpers/auth";
import { call, problemOf, sendJson } from "../helpers/http";
import { jobRow } from "./helpers";

let admin: TestUser;
let owner: TestUser;
let stranger: TestUser;

beforeAll(async () => {
  admin = await createUser({ role: "admin" });
  owner = await createUser();
  stranger = await createUser();
});

afterEach(async () => {
  await env.DB.prepare("DELETE FROM queue_states").run();
});

/** A job row with no message, so nothing runs it in the background while a test inspects it. */
async function quietJob(opts: Parameters<typeof enqueueStatements>[3] = {}, status?: string) {
  const db = createDb(env.DB);
  const prepared = enqueueStatements(db, "metrics.rollup", {}, { ownerId: owner.user.id, ...opts });
  await db.batch(prepared.statements);
  if (status)
    await env.DB.prepare("UPDATE jobs SET status = ?, finished_at = ? WHERE id = ?").bind(status, clock.now(), prepared.job.id).run();
  return prepared.job;
}

const auditCount = async (action: string, targetId: string) =>
  (await env.DB.prepare("SELECT count(*) AS n FROM audit_logs WHERE action = ? AND target_id = ?")
    .bind(action, targetId)
    .first<{ n: number }>())!.n;

describe("GET /v1/jobs/:id", () => {
  it("shows the owner their job", async () => {
    const job = await quietJob();
    const res = await call(`/v1/jobs/${job.id}`, { headers: owner.headers });
    expect(res.status).toBe(200);
    const body = await res.json();
    expect(body).toEqual({
      id: job.id,
      type: "metrics.rollup",
      queue: "default",
      status: "PENDING",
      attempts: 0,
      maxAttempts: 3,
      progress: 0,
      progressMessage: null,
      result: null,
      error: null,
      createdAt: new Date(job.createdAt).toISOString(),
      startedAt: null,
      finishedAt: null,
      scheduledFor: null,
    });
  });

  it("lets an admin read any job", async () => {
    const job = await quietJob();
    expect((await call(`/v1/jobs/${job.id}`, { headers: admin.headers })).status).toBe(200);
  });

  it("answers 404 to another user and for unknown ids, 401 without credentials", async () => {
    const job = await quietJob();
    expect((await problemOf(await call(`/v1/jobs/${job.id}`, { headers: stranger.headers }))).code).toBe("not_found");
    expect((await call(`/v1/jobs/job_nope`, { headers: owner.headers })).status).toBe(404);
    expect((await call(`/v1/jobs/${job.id}`)).status).toBe(401);
  });
});

describe("admin queue API", () => {
  it("is for admins only", async () => {
    const res = await call("/v1/admin/queues", { headers: owner.headers });
    expect(res.status).toBe(403);
    expect((await call("/v1/admin/jobs", { headers: owner.headers })).status).toBe(403);
    expect((await call("/v1/admin/queues")).status).toBe(401);
  });

  it("reports per-queue counts, paused state, throughput and duration", async () => {
    await quietJob();
    const done = await quietJob({}, "COMPLETED");
    await env.DB.prepare("UPDATE jobs SET started_at = finished_at - 250 WHERE id = ?").bind(done.id).run();
    await sendJson("/v1/admin/queues/default/pause", "POST", {}, admin.headers);
    const res = await call("/v1/admin/queues", { headers: admin.headers });
    expect(res.status).toBe(200);
    const { data } = (await res.json()) as { data: Record<string, unknown>[] };
    expect(data.map((q) => q.name)).toEqual(["default", "scoring", "emails", "exports", "ai", "indexing", "webhooks"]);
    const queue = data[0]!;
    expect(queue).toMatchObject({ name: "default", paused: true });
    expect(queue.waiting).toBeGreaterThanOrEqual(1);
    expect(queue.completed).toBeGreaterThanOrEqual(1);
    expect(queue.throughputPerMinute).toBeGreaterThan(0);
    expect(queue.avgDurationMs).toEqual(expect.any(Number));
    expect(data[1]).toMatchObject({ name: "scoring", paused: false });
  });

  it("lists jobs with filters and a cursor", async () => {
    const from = new Date(clock.now() - 1000).toISOString();
    const a = await quietJob({}, "FAILED");
    const b = await quietJob({}, "FAILED");
    const first = await call(`/v1/admin/jobs?queue=default&status=FAILED&type=metrics.rollup&from=${encodeURIComponent(from)}&limit=1`, {
      headers: admin.headers,
    });
    expect(first.status).toBe(200);
    const page1 = (await first.json()) as { data: { id: string; payload: unknown }[]; nextCursor: string };
    expect(page1.data.map((j) => j.id)).toEqual([b.id]);
    expect(page1.data[0]!.payload).toEqual({});
    const second = await call(
      `/v1/admin/jobs?queue=default&status=FAILED&from=${encodeURIComponent(from)}&limit=1&cursor=${page1.nextCursor}`,
      { headers: admin.headers },
    );
    expect(((await second.json()) as { data: { id: string }[] }).data.map((j) => j.id)).toEqual([a.id]);
  });

  it("rejects bad filters with validation problems", async () => {
    const res = await call("/v1/admin/jobs?status=SLEEPING&from=yesterday", { headers: admin.headers });
    const problem = await problemOf(res);
    expect(problem.code).toBe("validation_failed");
    expect(problem.errors!.map((e) => e.path).sort()).toEqual(["from", "status"]);
  });

  it("retries a FAILED job (audited) and refuses a running one", async () => {
    const job = await quietJob({}, "FAILED");
    await env.DB.prepare("UPDATE jobs SET attempts = 3, error = 'boom' WHERE id = ?").bind(job.id).run();
    const res = await call(`/v1/admin/jobs/${job.id}/retry`, { method: "POST", headers: admin.headers });
    expect(res.status).toBe(202);
    expect(await jobRow(job.id)).toMatchObject({ status: "PENDING", attempts: 0, error: null });
    expect(await auditCount("job.retried", job.id)).toBe(1);

    const active = await quietJob({}, "ACTIVE");
    const refused = await problemOf(await call(`/v1/admin/jobs/${active.id}/retry`, { method: "POST", headers: admin.headers }));
    expect(refused).toMatchObject({ status: 409, code: "conflict" });
    expect(await auditCount("job.retried", active.id)).toBe(0);
  });

  it("cancels a pending or delayed job (audited); a cancelled job's message does nothing", async () => {
    const job = await quietJob({ delaySeconds: 3600 });
    const res = await call(`/v1/admin/jobs/${job.id}`, { method: "DELETE", headers: admin.headers });
    expect(res.status).toBe(200);
    expect(await jobRow(job.id)).toMatchObject({ status: "CANCELLED" });
    expect(await auditCount("job.cancelled", job.id)).toBe(1);
    const again = await call(`/v1/admin/jobs/${job.id}`, { method: "DELETE", headers: admin.headers });
    expect(again.status).toBe(409);
    expect((await call(`/v1/admin/jobs/job_missing`, { method: "DELETE", headers: admin.headers })).status).toBe(404);
  });

  it("pauses and resumes a queue, audited; unknown queues are 404", async () => {
    const pause = await sendJson("/v1/admin/queues/emails/pause", "POST", {}, admin.headers);
    expect(await pause.json()).toEqual({ name: "emails", paused: true });
    const resume = await sendJson("/v1/admin/queues/emails/resume", "POST", {}, admin.headers);
    expect(await resume.json()).toMatchObject({ name: "emails", paused: false, resent: expect.any(Number) });
    expect(await auditCount("queue.paused", "emails")).toBeGreaterThanOrEqual(1);
    expect(await auditCount("queue.resumed", "emails")).toBeGreaterThanOrEqual(1);
    expect((await sendJson("/v1/admin/queues/nope/pause", "POST", {}, admin.headers)).status).toBe(404);
    expect((await sendJson("/v1/admin/queues/emails/pause", "POST", {}, owner.headers)).status).toBe(403);
  });

  it("cleans finished jobs older than the given age, only of the named status and queue", async () => {
    const old = await quietJob({}, "COMPLETED");
    const oldFailed = await quietJob({}, "FAILED");
    clock.advance(2 * 3600_000);
    const fresh = await quietJob({}, "COMPLETED");
    const res = await sendJson("/v1/admin/queues/default/clean", "POST", { status: "COMPLETED", olderThanSeconds: 3600 }, admin.headers);
    expect(res.status).toBe(200);
    const body = (await res.json()) as { deleted: number };
    expect(body.deleted).toBeGreaterThanOrEqual(1);
    await expect(jobRow(old.id)).rejects.toThrow("not found");
    expect((await jobRow(oldFailed.id)).status).toBe("FAILED");
    expect((await jobRow(fresh.id)).status).toBe("COMPLETED");
    expect(await auditCount("queue.cleaned", "default")).toBeGreaterThanOrEqual(1);
  });

  it("refuses to clean waiting or running jobs and validates the body", async () => {
    const bad = await problemOf(
      await sendJson("/v1/admin/queues/default/clean", "POST", { status: "PENDING", olderThanSeconds: 0 }, admin.headers),
    );
    expect(bad.code).toBe("validation_failed");
    const extra = await problemOf(
      await sendJson("/v1/admin/queues/default/clean", "POST", { status: "FAILED", olderThanSeconds: -1, all: true }, admin.headers),
    );
    expect(extra.code).toBe("validation_failed");
  });
});

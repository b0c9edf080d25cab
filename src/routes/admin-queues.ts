import { and, desc, eq, gte, inArray, lt, lte, sql, type SQL } from "drizzle-orm";
import { Hono, type Context } from "hono";
import { z } from "zod";
import { JOB_STATUSES, JOB_TYPES, QUEUE_NAMES, jobs, queueStates, type Job, type JobStatus, type QueueName } from "../db/schema";
import type { AppEnv } from "../env";
import { auditInsert } from "../lib/audit/writer";
import { clock } from "../lib/clock";
import { ApiError } from "../lib/errors";
import { sendJobMessage } from "../lib/queue/enqueue";
import { RELEASE_WINDOW_MS, sendUnsentJobs } from "../lib/queue/dispatch";
import { presentJobForAdmin } from "../lib/queue/present";
import { setQueuePausedStatement } from "../lib/queue/queue-state";
import { decodeCursor, idCursor, paginationQuery, toPage } from "../lib/validation/pagination";
import { validate } from "../lib/validation/validate";
import { authOf, requireRole, requireScope } from "../middleware/auth";
import { rateLimit } from "../middleware/rate-limit";
import { operationsOf } from "../openapi/describe";
import { adminJobSchema } from "../openapi/schemas/job";
import { page } from "../openapi/schemas/primitives";
import { queueCleanedSchema, queuePausedSchema, queueStatsSchema } from "../openapi/schemas/queue";

const describe = operationsOf("Admin: queues and jobs");

/** Completions in this window give the throughput; durations in the last hour give the average. */
const THROUGHPUT_WINDOW_MS = 15 * 60_000;
const DURATION_WINDOW_MS = 60 * 60_000;
const MAX_CLEAN_AGE_SECONDS = 10 * 365 * 24 * 3600;

const queueParam = z.object({ name: z.string().max(32) });
const jobParam = z.object({ id: z.string().min(1).max(64) });

const isoInstant = z.iso.datetime({ offset: true }).transform((value) => Date.parse(value));

const jobListQuery = paginationQuery.extend({
  queue: z.enum(QUEUE_NAMES).optional(),
  status: z.enum(JOB_STATUSES).optional(),
  type: z.enum(JOB_TYPES).optional(),
  from: isoInstant.optional(),
  to: isoInstant.optional(),
});

/** Only finished jobs can be cleaned: removing waiting or running ones would lose work. */
const cleanInput = z.strictObject({
  status: z.enum(["COMPLETED", "FAILED", "CANCELLED"]),
  olderThanSeconds: z.number().int().min(0).max(MAX_CLEAN_AGE_SECONDS),
});

function queueOf(name: string): QueueName {
  if (!(QUEUE_NAMES as readonly string[]).includes(name)) throw ApiError.notFound("queue");
  return name as QueueName;
}

async function findJob(c: Context<AppEnv>, id: string): Promise<Job> {
  const job = await c.var.db.select().from(jobs).where(eq(jobs.id, id)).get();
  if (!job) throw ApiError.notFound("job");
  return job;
}

function conflict(job: Job, action: string, allowed: JobStatus[]): ApiError {
  return new ApiError("conflict", `A ${job.status} job cannot be ${action}; only ${allowed.join(" or ")} jobs can.`, {
    extensions: { jobStatus: job.status },
  });
}

/** Rows a batched write changed (D1 reports it per statement in `meta.changes`). */
const changes = (result: unknown) => (result as { meta?: { changes?: number } } | undefined)?.meta?.changes ?? 0;

async function queueStats(c: Context<AppEnv>) {
  const db = c.var.db;
  const now = clock.now();
  const [counts, recent, states] = await db.batch([
    db.select({ queue: jobs.queue, status: jobs.status, count: sql<number>`count(*)` }).from(jobs).groupBy(jobs.queue, jobs.status),
    db
      .select({
        queue: jobs.queue,
        completedRecently: sql<number>`sum(case when ${jobs.finishedAt} >= ${now - THROUGHPUT_WINDOW_MS} then 1 else 0 end)`,
        avgDurationMs: sql<number | null>`avg(${jobs.finishedAt} - ${jobs.startedAt})`,
      })
      .from(jobs)
      .where(and(eq(jobs.status, "COMPLETED"), gte(jobs.finishedAt, now - DURATION_WINDOW_MS)))
      .groupBy(jobs.queue),
    db.select().from(queueStates),
  ]);
  return QUEUE_NAMES.map((queue) => {
    const count = (status: JobStatus) => counts.find((row) => row.queue === queue && row.status === status)?.count ?? 0;
    const window = recent.find((row) => row.queue === queue);
    return {
      name: queue,
      waiting: count("PENDING"),
      delayed: count("DELAYED"),
      active: count("ACTIVE"),
      completed: count("COMPLETED"),
      failed: count("FAILED"),
      cancelled: count("CANCELLED"),
      paused: states.find((row) => row.queue === queue)?.paused ?? false,
      throughputPerMinute: Math.round(((window?.completedRecently ?? 0) / (THROUGHPUT_WINDOW_MS / 60_000)) * 100) / 100,
      avgDurationMs: window?.avgDurationMs == null ? null : Math.round(window.avgDurationMs),
    };
  });
}

async function setPaused(c: Context<AppEnv>, queue: QueueName, paused: boolean) {
  const db = c.var.db;
  const now = clock.now();
  const actorId = authOf(c).userId;
  const before = await db.select({ paused: queueStates.paused }).from(queueStates).where(eq(queueStates.queue, queue)).get();
  await db.batch([
    setQueuePausedStatement(db, queue, paused, actorId, now),
    auditInsert(c, {
      action: paused ? "queue.paused" : "queue.resumed",
      target: { type: "queue", id: queue },
      before: { paused: before?.paused ?? false },
      after: { paused },
    }),
  ]);
}

/**
 * Queue dashboard (/queues) and job operations (/jobs), for admins only; mounted at /v1/admin. Every
 * change is audited in its own batch.
 */
export const adminQueueRoutes = new Hono<AppEnv>()
  .use("/queues/*", rateLimit({ policy: "api" }), requireRole("admin"))
  .use("/jobs/*", rateLimit({ policy: "api" }), requireRole("admin"))

  .get(
    "/queues",
    describe({ summary: "Queue dashboard", responses: { 200: ["Every queue's counts", z.object({ data: z.array(queueStatsSchema) })] } }),
    requireScope("admin:read"),
    async (c) => {
      return c.json({ data: await queueStats(c) });
    },
  )

  .get(
    "/jobs",
    describe({ summary: "List jobs", responses: { 200: ["A page of jobs, newest first", page(adminJobSchema)] } }),
    requireScope("admin:read"),
    validate("query", jobListQuery),
    async (c) => {
      const query = c.req.valid("query");
      const conditions: SQL[] = [];
      if (query.queue) conditions.push(eq(jobs.queue, query.queue));
      if (query.status) conditions.push(eq(jobs.status, query.status));
      if (query.type) conditions.push(eq(jobs.type, query.type));
      if (query.from !== undefined) conditions.push(gte(jobs.createdAt, query.from));
      if (query.to !== undefined) conditions.push(lte(jobs.createdAt, query.to));
      if (query.cursor) conditions.push(lt(jobs.id, decodeCursor(query.cursor, idCursor).id));
      const rows = await c.var.db
        .select()
        .from(jobs)
        .where(and(...conditions))
        .orderBy(desc(jobs.id))
        .limit(query.limit + 1);
      return c.json(toPage(rows, query.limit, (row) => ({ id: row.id }), presentJobForAdmin));
    },
  )

  .get(
    "/jobs/:id",
    describe({ summary: "Read a job with its payload", responses: { 200: ["The job", adminJobSchema] }, errors: ["not_found"] }),
    requireScope("admin:read"),
    validate("param", jobParam),
    async (c) => {
      return c.json(presentJobForAdmin(await findJob(c, c.req.valid("param").id)));
    },
  )

  .post(
    "/jobs/:id/retry",
    describe({
      summary: "Retry a failed or cancelled job",
      responses: { 202: ["Queued again", adminJobSchema] },
      errors: ["not_found", "conflict"],
    }),
    requireScope("admin:write"),
    validate("param", jobParam),
    async (c) => {
      const db = c.var.db;
      const job = await findJob(c, c.req.valid("param").id);
      const retryable: JobStatus[] = ["FAILED", "CANCELLED"];
      if (!retryable.includes(job.status)) throw conflict(job, "retried", retryable);
      const now = clock.now();
      const reset = {
        status: "PENDING" as const,
        attempts: 0,
        progress: 0,
        progressMessage: null,
        result: null,
        error: null,
        scheduledFor: null,
        enqueuedAt: null,
        startedAt: null,
        finishedAt: null,
        updatedAt: now,
      };
      const [update] = await db.batch([
        db
          .update(jobs)
          .set(reset)
          .where(and(eq(jobs.id, job.id), eq(jobs.status, job.status))),
        auditInsert(c, {
          action: "job.retried",
          target: { type: "job", id: job.id },
          before: { status: job.status, attempts: job.attempts, error: job.error },
          after: { status: "PENDING", attempts: 0, error: null },
        }),
      ]);
      if (changes(update) === 0) throw new ApiError("conflict", "The job changed while it was being retried; reload and try again.");
      await sendJobMessage(c.env, db, { ...job, scheduledFor: null }, now);
      return c.json(presentJobForAdmin(await findJob(c, job.id)), 202);
    },
  )

  .delete(
    "/jobs/:id",
    describe({
      summary: "Cancel a job that has not started",
      responses: { 200: ["The cancelled job", adminJobSchema] },
      errors: ["not_found", "conflict"],
    }),
    requireScope("admin:write"),
    validate("param", jobParam),
    async (c) => {
      const db = c.var.db;
      const job = await findJob(c, c.req.valid("param").id);
      const cancellable: JobStatus[] = ["PENDING", "DELAYED"];
      if (!cancellable.includes(job.status)) throw conflict(job, "cancelled", cancellable);
      const now = clock.now();
      const [update] = await db.batch([
        db
          .update(jobs)
          .set({ status: "CANCELLED", finishedAt: now, updatedAt: now })
          .where(and(eq(jobs.id, job.id), inArray(jobs.status, cancellable))),
        auditInsert(c, {
          action: "job.cancelled",
          target: { type: "job", id: job.id },
          before: { status: job.status },
          after: { status: "CANCELLED" },
        }),
      ]);
      if (changes(update) === 0) throw new ApiError("conflict", "The job started before it could be cancelled.");
      return c.json(presentJobForAdmin(await findJob(c, job.id)));
    },
  )

  .post(
    "/queues/:name/pause",
    describe({ summary: "Pause a queue", responses: { 200: ["Paused", queuePausedSchema] }, errors: ["not_found"] }),
    requireScope("admin:write"),
    validate("param", queueParam),
    async (c) => {
      const queue = queueOf(c.req.valid("param").name);
      await setPaused(c, queue, true);
      return c.json({ name: queue, paused: true });
    },
  )

  .post(
    "/queues/:name/resume",
    describe({
      summary: "Resume a queue",
      responses: { 200: ["Resumed; `resent` parked jobs were sent", queuePausedSchema] },
      errors: ["not_found"],
    }),
    requireScope("admin:write"),
    validate("param", queueParam),
    async (c) => {
      const queue = queueOf(c.req.valid("param").name);
      await setPaused(c, queue, false);
      // Jobs parked while the queue was paused get their messages now rather than at the next tick.
      const now = clock.now();
      const resent = await sendUnsentJobs(c.env, c.var.db, { now, pendingBefore: now, dueBy: now + RELEASE_WINDOW_MS, queues: [queue] });
      return c.json({ name: queue, paused: false, resent });
    },
  )

  .post(
    "/queues/:name/clean",
    describe({
      summary: "Delete a queue's finished jobs older than an age",
      responses: { 200: ["How many were deleted", queueCleanedSchema] },
      errors: ["not_found"],
    }),
    requireScope("admin:write"),
    validate("param", queueParam),
    validate("json", cleanInput),
    async (c) => {
      const db = c.var.db;
      const queue = queueOf(c.req.valid("param").name);
      const input = c.req.valid("json");
      const cutoff = clock.now() - input.olderThanSeconds * 1000;
      const [removed] = await db.batch([
        db.delete(jobs).where(and(eq(jobs.queue, queue), eq(jobs.status, input.status), lt(jobs.finishedAt, cutoff))),
        auditInsert(c, {
          action: "queue.cleaned",
          target: { type: "queue", id: queue },
          metadata: { status: input.status, olderThanSeconds: input.olderThanSeconds },
        }),
      ]);
      return c.json({ name: queue, status: input.status, deleted: changes(removed) });
    },
  );

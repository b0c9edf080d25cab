import { and, eq, sql } from "drizzle-orm";
import type { ZodType } from "zod";
import type { Database } from "../src/db";
import { jobs, type Job, type QueueName } from "../src/db/schema";
import type { Env } from "../src/env";
import { clock } from "../src/lib/clock";
import type { Logger } from "../src/lib/logger";
import { backoffDelaySeconds } from "../src/lib/queue/backoff";
import { isJobMessage } from "../src/lib/queue/bindings";
import { recordJobFailure } from "../src/lib/queue/job-error-log";
import { JOB_PAYLOADS } from "../src/lib/queue/job-types";
import { JobConflictError, PermanentJobError, type JobContext, type JobHandler } from "./job-handler";
import { JOB_HANDLERS } from "./job-handlers";

/** Longer than any consumer invocation may run (15 min wall time), so an ACTIVE job older than this died. */
export const STUCK_JOB_TIMEOUT_MS = 15 * 60_000;
/** A message may arrive a little before the row's scheduled time (clock skew); earlier than this waits again. */
const EARLY_TOLERANCE_MS = 5_000;
const MAX_ERROR_CHARS = 2000;

const TERMINAL = new Set<Job["status"]>(["COMPLETED", "FAILED", "CANCELLED"]);

export interface RunnerDeps {
  env: Env;
  db: Database;
  logger: Logger;
  queue: QueueName;
  paused: boolean;
  handlers?: Partial<Record<string, JobHandler<never>>>;
  random?: () => number;
}

export type MessageOutcome = "completed" | "retry" | "failed" | "parked" | "skipped" | "deferred";

function errorText(error: unknown): string {
  const text = error instanceof Error ? `${error.name}: ${error.message}` : String(error);
  return text.slice(0, MAX_ERROR_CHARS);
}

/** Moves a claimed job to FAILED and files the error; the message is acked by the caller. */
export async function failJob(deps: Pick<RunnerDeps, "env" | "db">, job: Job, error: unknown, extraWhere = sql`1 = 1`): Promise<void> {
  const now = clock.now();
  await deps.db
    .update(jobs)
    .set({ status: "FAILED", error: errorText(error), finishedAt: now, updatedAt: now })
    .where(and(eq(jobs.id, job.id), extraWhere));
  await recordJobFailure(deps.db, job, error);
}

/** Takes the job for this delivery: +1 attempt, ACTIVE, unless another delivery changed it first. */
async function claim(db: Database, job: Job, now: number): Promise<Job | undefined> {
  const [claimed] = await db
    .update(jobs)
    .set({
      status: "ACTIVE",
      attempts: sql`${jobs.attempts} + 1`,
      startedAt: now,
      finishedAt: null,
      progress: 0,
      progressMessage: null,
      enqueuedAt: sql`coalesce(${jobs.enqueuedAt}, ${now})`,
      updatedAt: now,
    })
    .where(and(eq(jobs.id, job.id), eq(jobs.status, job.status), eq(jobs.attempts, job.attempts)))
    .returning();
  return claimed;
}

function progressReporter(db: Database, job: Job) {
  return async (percent: number, message?: string) => {
    const progress = Math.max(0, Math.min(100, Math.round(Number.isFinite(percent) ? percent : 0)));
    await db
      .update(jobs)
      .set({ progress, progressMessage: message?.slice(0, 200) ?? null, updatedAt: clock.now() })
      .where(and(eq(jobs.id, job.id), eq(jobs.status, "ACTIVE")));
  };
}

/**
 * One delivery of one job message: the whole lifecycle (claim → run → COMPLETED, or retry with
 * backoff, or FAILED). Every path acks or retries the message exactly once.
 */
export async function runJobMessage(message: Message, deps: RunnerDeps): Promise<MessageOutcome> {
  const { db, logger } = deps;
  if (!isJobMessage(message.body)) {
    logger.warn("queue message is not a job; dropped", { queue: deps.queue, messageId: message.id });
    message.ack();
    return "skipped";
  }
  const job = await db.select().from(jobs).where(eq(jobs.id, message.body.jobId)).get();
  if (!job) {
    logger.warn("job row not found; message dropped", { jobId: message.body.jobId });
    message.ack();
    return "skipped";
  }
  const now = clock.now();
  if (TERMINAL.has(job.status)) {
    message.ack(); // redelivery of finished work: nothing to do
    return "skipped";
  }
  if (job.status === "ACTIVE" && job.startedAt !== null && now - job.startedAt < STUCK_JOB_TIMEOUT_MS) {
    message.ack(); // a duplicate of a delivery still running; stuck recovery covers a crash
    return "skipped";
  }
  if (deps.paused) {
    // Parked, not run and not counted: the row forgets its message, and resume sends a new one.
    await db
      .update(jobs)
      .set({ enqueuedAt: null, status: job.status === "ACTIVE" ? "PENDING" : job.status, updatedAt: now })
      .where(and(eq(jobs.id, job.id), eq(jobs.status, job.status), eq(jobs.attempts, job.attempts)));
    message.ack();
    return "parked";
  }
  if (job.status === "DELAYED" && job.scheduledFor !== null && job.scheduledFor - now > EARLY_TOLERANCE_MS) {
    message.retry({ delaySeconds: Math.min(43_200, Math.ceil((job.scheduledFor - now) / 1000)) });
    return "deferred";
  }

  const claimed = await claim(db, job, now);
  if (!claimed) {
    message.ack(); // another delivery claimed it between our read and our write
    return "skipped";
  }
  try {
    const result = await execute(claimed, deps);
    const finished = clock.now();
    await db
      .update(jobs)
      .set({ status: "COMPLETED", result: result ?? null, error: null, progress: 100, finishedAt: finished, updatedAt: finished })
      .where(and(eq(jobs.id, claimed.id), eq(jobs.status, "ACTIVE"), eq(jobs.attempts, claimed.attempts)));
    message.ack();
    return "completed";
  } catch (error) {
    return settleFailure(message, claimed, error, deps);
  }
}

async function execute(job: Job, deps: RunnerDeps): Promise<unknown> {
  const handler = (deps.handlers ?? JOB_HANDLERS)[job.type] as JobHandler | undefined;
  if (!handler) throw new PermanentJobError(`No handler for job type ${job.type}`);
  const schema = JOB_PAYLOADS[job.type] as unknown as ZodType<Record<string, unknown>>;
  const parsed = schema.safeParse(job.payload);
  if (!parsed.success) throw new PermanentJobError(`Invalid payload: ${parsed.error.issues[0]?.message ?? "invalid"}`);
  const ctx: JobContext = {
    env: deps.env,
    db: deps.db,
    logger: deps.logger,
    job,
    payload: parsed.data,
    attempt: job.attempts,
    progress: progressReporter(deps.db, job),
  };
  return handler(ctx);
}

async function settleFailure(message: Message, job: Job, error: unknown, deps: RunnerDeps): Promise<MessageOutcome> {
  const permanent = error instanceof PermanentJobError;
  const exhausted = job.attempts >= job.maxAttempts;
  if (permanent || exhausted) {
    deps.logger.error("job failed", { jobId: job.id, type: job.type, attempts: job.attempts, error: errorText(error) });
    await failJob(deps, job, error, eq(jobs.status, "ACTIVE"));
    message.ack();
    return "failed";
  }
  // A conflict is not the job's fault: retry soon, without the growing backoff.
  const delaySeconds = error instanceof JobConflictError ? 1 : backoffDelaySeconds(job.attempts, deps.random);
  const now = clock.now();
  deps.logger.warn("job attempt failed; retrying", {
    jobId: job.id,
    type: job.type,
    attempt: job.attempts,
    delaySeconds,
    error: errorText(error),
  });
  await deps.db
    .update(jobs)
    .set({ status: "DELAYED", error: errorText(error), scheduledFor: now + delaySeconds * 1000, updatedAt: now })
    .where(and(eq(jobs.id, job.id), eq(jobs.status, "ACTIVE"), eq(jobs.attempts, job.attempts)));
  message.retry({ delaySeconds });
  return "retry";
}

/**
 * A message on the dead-letter queue: Queues gave up on it (the consumer kept crashing or the
 * retries ran out). The job is recorded FAILED, so it is visible and retryable from the admin API.
 */
export async function recordDeadLetter(message: Message, deps: Pick<RunnerDeps, "env" | "db" | "logger">): Promise<void> {
  const body = message.body;
  if (!isJobMessage(body)) {
    deps.logger.error("dead-lettered message is not a job", { messageId: message.id, body: JSON.stringify(body)?.slice(0, 500) });
    await recordJobFailure(deps.db, { id: message.id, type: "unknown" }, new Error("Dead-lettered message is not a job"));
    message.ack();
    return;
  }
  const job = await deps.db.select().from(jobs).where(eq(jobs.id, body.jobId)).get();
  if (job && !TERMINAL.has(job.status)) {
    const reason = new Error(`Dead-lettered after ${message.attempts} deliveries${job.error ? `; last error: ${job.error}` : ""}`);
    reason.name = "DeadLetteredJob";
    await failJob(deps, job, reason, sql`${jobs.status} NOT IN ('COMPLETED', 'FAILED', 'CANCELLED')`);
    deps.logger.error("job dead-lettered", { jobId: job.id, type: job.type });
  } else if (!job) {
    deps.logger.error("dead-lettered job has no row", { jobId: body.jobId, type: body.type });
  }
  message.ack();
}

import { and, desc, eq, inArray, isNull, or, sql } from "drizzle-orm";
import type { ZodType } from "zod";
import { createDb, type Database } from "../../db";
import { jobs, type Job, type JobType, type NewJob } from "../../db/schema";
import type { Env } from "../../env";
import { clock } from "../clock";
import { ApiError, zodIssuesToFieldErrors } from "../errors";
import { guardedInsert } from "../guarded-insert";
import { newId } from "../ids";
import { DEFAULT_JOB_ATTEMPTS, MAX_JOB_ATTEMPTS, MAX_QUEUE_DELAY_SECONDS, queueBinding, type JobMessage } from "./bindings";
import { JOB_PAYLOADS, JOB_QUEUE, type JobPayload } from "./job-types";

export interface EnqueueOptions {
  /** Run no earlier than this many seconds from now. */
  delaySeconds?: number;
  /** Run no earlier than this instant (epoch ms or Date); wins over delaySeconds. */
  scheduledFor?: number | Date;
  /** Deliveries before the job is FAILED (1–10, default 3). */
  maxAttempts?: number;
  /** A second enqueue with the same key returns the first job instead of creating another. */
  idempotencyKey?: string;
  /**
   * While a job with this key waits to start (PENDING or DELAYED), a new enqueue adds nothing: the
   * waiting job will read the current state when it runs, so it covers this change too. For work that
   * recomputes from the database (a re-score); once a job starts, the next enqueue makes a new one.
   */
  coalesceKey?: string;
  /** The user who may read the job through GET /v1/jobs/:id. */
  ownerId?: string | null;
  priority?: number;
}

export interface EnqueueResult {
  job: Job;
  created: boolean;
}

/** A Job row ready to go into the caller's db.batch, and the send to run once that batch committed. */
export interface PreparedJob {
  job: Job;
  statements: [ReturnType<typeof insertJob>];
  /** Sends the message if the row landed and was not sent yet. Never throws: the maintenance cron re-sends. */
  send(env: Env): Promise<boolean>;
  /** After the batch: the id of the job that carries this enqueue (this one, or the twin that absorbed it). */
  carrierId(): Promise<string>;
}

function invalid(path: string, message: string): ApiError {
  return ApiError.validation([{ path, message }], "The job could not be enqueued.");
}

/** Validates type, payload and options and builds the full row (defaults filled in, as D1 would). */
function buildJobRow<T extends JobType>(type: T, payload: JobPayload<T>, opts: EnqueueOptions = {}, now = clock.now()): Job {
  const schema = JOB_PAYLOADS[type] as unknown as ZodType<Record<string, unknown>> | undefined;
  if (!schema) throw invalid("type", `Unknown job type ${String(type)}`);
  const parsed = schema.safeParse(payload);
  if (!parsed.success) {
    const errors = zodIssuesToFieldErrors(parsed.error.issues).map((e) => ({ ...e, path: `payload.${e.path}` }));
    throw ApiError.validation(errors, `Invalid payload for job type ${type}.`);
  }
  const maxAttempts = opts.maxAttempts ?? DEFAULT_JOB_ATTEMPTS;
  if (!Number.isInteger(maxAttempts) || maxAttempts < 1 || maxAttempts > MAX_JOB_ATTEMPTS) {
    throw invalid("maxAttempts", `maxAttempts must be an integer from 1 to ${MAX_JOB_ATTEMPTS}`);
  }
  if (opts.delaySeconds !== undefined && !(Number.isFinite(opts.delaySeconds) && opts.delaySeconds >= 0)) {
    throw invalid("delaySeconds", "delaySeconds must be a non-negative number");
  }
  for (const key of ["idempotencyKey", "coalesceKey"] as const) {
    const value = opts[key];
    if (value !== undefined && (value.length === 0 || value.length > 200)) throw invalid(key, `${key} must be 1–200 characters`);
  }
  const explicit = opts.scheduledFor instanceof Date ? opts.scheduledFor.getTime() : opts.scheduledFor;
  if (explicit !== undefined && !Number.isFinite(explicit)) throw invalid("scheduledFor", "scheduledFor must be a valid time");
  const runAt = explicit ?? (opts.delaySeconds ? now + Math.round(opts.delaySeconds * 1000) : undefined);
  const delayed = runAt !== undefined && runAt > now;
  return {
    id: newId("job", now),
    type,
    queue: JOB_QUEUE[type],
    status: delayed ? "DELAYED" : "PENDING",
    priority: opts.priority ?? 0,
    payload: parsed.data,
    result: null,
    error: null,
    attempts: 0,
    maxAttempts,
    progress: 0,
    progressMessage: null,
    ownerId: opts.ownerId ?? null,
    idempotencyKey: opts.idempotencyKey ?? null,
    coalesceKey: opts.coalesceKey ?? null,
    scheduledFor: delayed ? runAt! : null,
    enqueuedAt: null,
    startedAt: null,
    finishedAt: null,
    createdAt: now,
    updatedAt: now,
  };
}

const WAITING = ["PENDING", "DELAYED"] as const;

/** Jobs that stand in for this one: the same idempotency key, or the same coalesce key (newest first when ordered by id). */
function twinsOf(job: Pick<Job, "idempotencyKey" | "coalesceKey">) {
  return or(
    job.idempotencyKey ? eq(jobs.idempotencyKey, job.idempotencyKey) : undefined,
    job.coalesceKey ? eq(jobs.coalesceKey, job.coalesceKey) : undefined,
  );
}

/** The row's INSERT: skipped when its idempotency key exists, or when a job with its coalesce key is waiting. */
function insertJob(db: Database, row: NewJob) {
  const noWaitingTwin = row.coalesceKey
    ? sql`not exists (select 1 from ${jobs} where ${and(eq(jobs.coalesceKey, row.coalesceKey), inArray(jobs.status, WAITING))})`
    : sql`1 = 1`;
  return guardedInsert(db, jobs, row, noWaitingTwin).onConflictDoNothing({ target: jobs.idempotencyKey });
}

/** Seconds until the job is due, or null when that is beyond what a queue message can wait. */
function sendDelaySeconds(job: Pick<Job, "scheduledFor">, now: number): number | null {
  if (job.scheduledFor == null) return 0;
  const delay = Math.max(0, Math.ceil((job.scheduledFor - now) / 1000));
  return delay > MAX_QUEUE_DELAY_SECONDS ? null : delay;
}

/**
 * Sends the job's message and records that it was sent. The row is written before this runs, so a
 * failure here leaves a row with `enqueued_at` null, which the maintenance cron sends again.
 */
export async function sendJobMessage(
  env: Env,
  db: Database,
  job: Pick<Job, "id" | "type" | "queue" | "scheduledFor">,
  now = clock.now(),
  options: { resend?: boolean } = {},
): Promise<boolean> {
  const delaySeconds = sendDelaySeconds(job, now);
  if (delaySeconds === null) return false;
  const body: JobMessage = { jobId: job.id, type: job.type };
  try {
    await queueBinding(env, job.queue).send(body, { contentType: "json", ...(delaySeconds > 0 ? { delaySeconds } : {}) });
  } catch (error) {
    console.warn(
      JSON.stringify({ level: "warn", message: "job message not sent; the cron will retry", jobId: job.id, error: String(error) }),
    );
    return false;
  }
  await db
    .update(jobs)
    .set({ enqueuedAt: now })
    .where(options.resend ? eq(jobs.id, job.id) : and(eq(jobs.id, job.id), isNull(jobs.enqueuedAt)))
    .catch((error) => {
      // The message is out; a missing mark only means the cron may send a duplicate, which consumers ignore.
      console.warn(JSON.stringify({ level: "warn", message: "job sent but not marked", jobId: job.id, error: String(error) }));
    });
  return true;
}

/**
 * For routes: the Job row as a statement for the same db.batch as the mutation that causes it, and
 * `send` to call (or `waitUntil`) after that batch committed.
 */
export function enqueueStatements<T extends JobType>(
  db: Database,
  type: T,
  payload: JobPayload<T>,
  opts: EnqueueOptions = {},
): PreparedJob {
  const job = buildJobRow(type, payload, opts);
  return {
    job,
    statements: [insertJob(db, job)],
    async send(env) {
      const landed = await db
        .select({ id: jobs.id })
        .from(jobs)
        .where(and(eq(jobs.id, job.id), isNull(jobs.enqueuedAt)))
        .get();
      if (!landed) return false; // a twin (same idempotency or coalesce key) already exists, with its own message
      return sendJobMessage(env, db, job);
    },
    async carrierId() {
      if (!job.idempotencyKey && !job.coalesceKey) return job.id;
      // This job if it landed; else its newest twin (a coalesced one absorbed this change or started after it).
      const row = await db
        .select({ id: jobs.id })
        .from(jobs)
        .where(or(eq(jobs.id, job.id), twinsOf(job)))
        .orderBy(desc(eq(jobs.id, job.id)), desc(jobs.id))
        .get();
      return row?.id ?? job.id;
    },
  };
}

/**
 * Writes a Job row (PENDING, or DELAYED when it should run later) and sends its message. With an
 * idempotency key that already names a job, or a coalesce key whose job still waits, returns that job
 * with `created: false`.
 */
export async function enqueue<T extends JobType>(
  env: Env,
  type: T,
  payload: JobPayload<T>,
  opts: EnqueueOptions = {},
): Promise<EnqueueResult> {
  const db = createDb(env.DB);
  const job = buildJobRow(type, payload, opts);
  if (job.idempotencyKey) {
    const existing = await db.select().from(jobs).where(eq(jobs.idempotencyKey, job.idempotencyKey)).get();
    if (existing) return { job: existing, created: false };
  }
  const inserted = await insertJob(db, job).returning();
  if (inserted.length === 0) {
    const twin = await db.select().from(jobs).where(twinsOf(job)).orderBy(desc(jobs.id)).get();
    return { job: twin!, created: false };
  }
  const sentAt = clock.now();
  const sent = await sendJobMessage(env, db, job, sentAt);
  return { job: sent ? { ...job, enqueuedAt: sentAt } : job, created: true };
}

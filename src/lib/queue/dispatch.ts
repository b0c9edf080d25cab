import { and, asc, eq, inArray, isNotNull, isNull, lt, lte, notInArray, or } from "drizzle-orm";
import type { Database } from "../../db";
import { jobs, type QueueName } from "../../db/schema";
import type { Env } from "../../env";
import { sendJobMessage } from "./enqueue";
import { pausedQueues } from "./queue-state";

/** How far ahead of its time a waiting job is handed to its queue (with the remaining delay): one cron tick. */
export const RELEASE_WINDOW_MS = 60_000;

export interface UnsentSelection {
  now: number;
  /** PENDING rows untouched since before this instant (younger ones may still be mid-enqueue). */
  pendingBefore: number;
  /** DELAYED rows due by this instant. */
  dueBy: number;
  /** Only these queues (default: every queue that is not paused). */
  queues?: QueueName[];
  limit?: number;
}

/**
 * Sends a message for each runnable job row that has none: rows whose send failed, jobs parked while
 * their queue was paused, delayed jobs that came due. Paused queues are skipped. Returns how many
 * messages went out.
 */
export async function sendUnsentJobs(env: Env, db: Database, selection: UnsentSelection): Promise<number> {
  const paused = [...(await pausedQueues(db))];
  const conditions = [
    isNull(jobs.enqueuedAt),
    or(
      and(eq(jobs.status, "PENDING"), lte(jobs.updatedAt, selection.pendingBefore)),
      and(eq(jobs.status, "DELAYED"), lte(jobs.scheduledFor, selection.dueBy)),
    ),
  ];
  if (paused.length > 0) conditions.push(notInArray(jobs.queue, paused));
  if (selection.queues) conditions.push(inArray(jobs.queue, selection.queues));
  const rows = await db
    .select({ id: jobs.id, type: jobs.type, queue: jobs.queue, scheduledFor: jobs.scheduledFor })
    .from(jobs)
    .where(and(...conditions))
    .orderBy(asc(jobs.priority), asc(jobs.createdAt))
    .limit(selection.limit ?? 500);
  let sent = 0;
  for (const row of rows) {
    if (await sendJobMessage(env, db, row, selection.now)) sent++;
  }
  return sent;
}

/**
 * Waiting jobs whose message was sent long ago but never arrived. Queues does not lose messages,
 * but a local runtime that restarts does, and a consumer bug could ack without running: re-sending is
 * harmless (a duplicate delivery of a claimed or finished job is acked unrun), so each such job gets
 * one new message per `olderThanMs`.
 */
export async function resendLostJobs(env: Env, db: Database, now: number, olderThanMs: number, limit = 100): Promise<number> {
  const paused = [...(await pausedQueues(db))];
  const cutoff = now - olderThanMs;
  const conditions = [
    isNotNull(jobs.enqueuedAt),
    lt(jobs.enqueuedAt, cutoff),
    or(eq(jobs.status, "PENDING"), and(eq(jobs.status, "DELAYED"), lt(jobs.scheduledFor, cutoff))),
  ];
  if (paused.length > 0) conditions.push(notInArray(jobs.queue, paused));
  const rows = await db
    .select({ id: jobs.id, type: jobs.type, queue: jobs.queue })
    .from(jobs)
    .where(and(...conditions))
    .orderBy(asc(jobs.createdAt))
    .limit(limit);
  let sent = 0;
  for (const row of rows) {
    if (await sendJobMessage(env, db, { ...row, scheduledFor: null }, now, { resend: true })) sent++;
  }
  return sent;
}

import { and, eq, lt } from "drizzle-orm";
import { jobs } from "../../src/db/schema";
import { sendJobMessage } from "../../src/lib/queue/enqueue";
import { failJob, STUCK_JOB_TIMEOUT_MS } from "../job-runner";
import type { CronTask } from "../cron";

/**
 * ACTIVE jobs started before `startedBefore` died with the isolate (or runtime) that ran them. Those
 * with attempts left go back to PENDING with a fresh message; the rest are FAILED (and filed in
 * error_logs). `cause` is the error each one records.
 */
export async function recoverDeadJobs(
  { env, db, now }: Parameters<CronTask["run"]>[0],
  startedBefore: number,
  cause: Error,
): Promise<{ requeued: number; failed: number }> {
  const stuck = await db
    .select()
    .from(jobs)
    .where(and(eq(jobs.status, "ACTIVE"), lt(jobs.startedAt, startedBefore)))
    .limit(200);
  let requeued = 0;
  let failed = 0;
  for (const job of stuck) {
    const stillStuck = and(eq(jobs.status, "ACTIVE"), eq(jobs.attempts, job.attempts));
    if (job.attempts >= job.maxAttempts) {
      await failJob({ env, db }, job, cause, stillStuck);
      failed++;
      continue;
    }
    const [reset] = await db
      .update(jobs)
      .set({ status: "PENDING", error: `${cause.name}: ${cause.message}`, enqueuedAt: null, scheduledFor: null, updatedAt: now })
      .where(and(eq(jobs.id, job.id), stillStuck))
      .returning({ id: jobs.id });
    if (reset && (await sendJobMessage(env, db, { ...job, scheduledFor: null }, now))) requeued++;
  }
  return { requeued, failed };
}

/** ACTIVE jobs older than any consumer can run died with their isolate: recovered as above. */
export const recoverStuckJobs: CronTask = {
  name: "recover-stuck-jobs",
  run(ctx) {
    const timeout = new Error(`Timed out: ACTIVE for more than ${STUCK_JOB_TIMEOUT_MS / 1000} s`);
    timeout.name = "JobTimeout";
    return recoverDeadJobs(ctx, ctx.now - STUCK_JOB_TIMEOUT_MS, timeout);
  },
};

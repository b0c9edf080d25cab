import { and, eq, lt } from "drizzle-orm";
import { jobs } from "../../src/db/schema";
import { sendJobMessage } from "../../src/lib/queue/enqueue";
import { failJob, STUCK_JOB_TIMEOUT_MS } from "../job-runner";
import type { CronTask } from "../cron";

/**
 * ACTIVE jobs older than any consumer can run died with their isolate. Those with attempts left go
 * back to PENDING with a fresh message; the rest are FAILED (and filed in error_logs).
 */
export const recoverStuckJobs: CronTask = {
  name: "recover-stuck-jobs",
  async run({ env, db, now }) {
    const stuck = await db
      .select()
      .from(jobs)
      .where(and(eq(jobs.status, "ACTIVE"), lt(jobs.startedAt, now - STUCK_JOB_TIMEOUT_MS)))
      .limit(200);
    let requeued = 0;
    let failed = 0;
    for (const job of stuck) {
      const stillStuck = and(eq(jobs.status, "ACTIVE"), eq(jobs.attempts, job.attempts));
      const timeout = new Error(`Timed out: ACTIVE for more than ${STUCK_JOB_TIMEOUT_MS / 1000} s`);
      timeout.name = "JobTimeout";
      if (job.attempts >= job.maxAttempts) {
        await failJob({ env, db }, job, timeout, stillStuck);
        failed++;
        continue;
      }
      const [reset] = await db
        .update(jobs)
        .set({ status: "PENDING", error: `${timeout.name}: ${timeout.message}`, enqueuedAt: null, scheduledFor: null, updatedAt: now })
        .where(and(eq(jobs.id, job.id), stillStuck))
        .returning({ id: jobs.id });
      if (reset && (await sendJobMessage(env, db, { ...job, scheduledFor: null }, now))) requeued++;
    }
    return { requeued, failed };
  },
};

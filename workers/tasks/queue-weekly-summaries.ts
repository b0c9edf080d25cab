import { previousWeekStart } from "../../src/lib/email/weekly-summary";
import { enqueue } from "../../src/lib/queue";
import type { CronTask } from "../cron";

/**
 * Mondays: starts the weekly study summaries of the week just ended. The work runs as a chain of page
 * jobs on the emails queue; the idempotency key makes a second firing of the trigger a no-op.
 */
export const queueWeeklySummaries: CronTask = {
  name: "queue-weekly-summaries",
  run: async ({ env, now }) => {
    const weekStart = previousWeekStart(now);
    const { job, created } = await enqueue(env, "email.weekly_summary", { weekStart }, { idempotencyKey: `weekly:${weekStart}` });
    return { weekStart, jobId: job.id, created };
  },
};

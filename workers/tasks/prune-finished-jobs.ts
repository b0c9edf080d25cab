import { loadConfig } from "../../src/config";
import { deleteInChunks, type DeleteTarget } from "../../src/db/delete-in-chunks";
import { DAY_MS } from "../../src/lib/clock";
import type { CronTask } from "../cron";

/**
 * Only jobs that finished: waiting (PENDING, DELAYED, parked in a paused queue) and running (ACTIVE)
 * jobs are work still to do. A FAILED job retried goes back to PENDING and out of reach.
 */
export const FINISHED_JOBS: DeleteTarget = {
  table: "jobs",
  where: "status IN ('COMPLETED', 'FAILED', 'CANCELLED') AND finished_at < ?",
};

/** Daily: jobs finished more than JOB_RETENTION_DAYS ago. */
export const pruneFinishedJobsTask: CronTask = {
  name: "prune-finished-jobs",
  run: ({ env, now }) => deleteInChunks(env.DB, FINISHED_JOBS, [now - loadConfig(env).jobRetentionDays * DAY_MS]),
};

import { and, eq, inArray } from "drizzle-orm";
import { dataExports, jobs } from "../../src/db/schema";
import { clock } from "../../src/lib/clock";
import { markFailed } from "../../src/lib/exports/complete";
import type { CronTask } from "../cron";

/** Per tick; such exports are rare (a job dead-lettered while its export ran). */
const BATCH = 100;

/**
 * Every minute: an export whose job ended without it (the isolate died mid-run on every delivery and
 * the message was dead-lettered, or an operator cancelled the job) is failed with its event, so it no
 * longer counts against its owner's active exports.
 */
export const failAbandonedExports: CronTask = {
  name: "fail-abandoned-exports",
  async run({ env, db }) {
    const abandoned = await db
      .select({ row: dataExports })
      .from(dataExports)
      .innerJoin(jobs, eq(jobs.id, dataExports.jobId))
      .where(and(inArray(dataExports.status, ["QUEUED", "RUNNING"]), inArray(jobs.status, ["FAILED", "CANCELLED"])))
      .limit(BATCH);
    for (const { row } of abandoned) {
      const failed = await markFailed(db, row, "The export stopped before it finished; please try again.", clock.now());
      await failed.send(env);
    }
    return { failed: abandoned.length };
  },
};

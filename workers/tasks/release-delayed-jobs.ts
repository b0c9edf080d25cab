import { RELEASE_WINDOW_MS, sendUnsentJobs } from "../../src/lib/queue/dispatch";
import type { CronTask } from "../cron";

/**
 * Jobs scheduled beyond the Queues delay limit (12 h) wait in D1 as DELAYED with no message; each
 * minute this sends the ones due before the next tick, delayed to their exact time.
 */
export const releaseDelayedJobs: CronTask = {
  name: "release-delayed-jobs",
  async run({ env, db, now }) {
    const released = await sendUnsentJobs(env, db, { now, pendingBefore: -1, dueBy: now + RELEASE_WINDOW_MS });
    return { released };
  },
};

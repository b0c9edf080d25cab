import { resendLostJobs, sendUnsentJobs } from "../../src/lib/queue/dispatch";
import type { CronTask } from "../cron";

/** A row this young may belong to an enqueue still sending its message. */
const UNSENT_GRACE_MS = 30_000;
/** A waiting job whose message has not arrived in this long gets a new one. */
const LOST_MESSAGE_AFTER_MS = 30 * 60_000;

/**
 * PENDING jobs without a message: the producer wrote the row but the send failed (or the job was
 * parked while its queue was paused). Each minute this sends them, and re-sends the message of jobs
 * still waiting half an hour after their message went out (see resendLostJobs).
 */
export const resendUnsentJobs: CronTask = {
  name: "resend-unsent-jobs",
  async run({ env, db, now }) {
    const resent = await sendUnsentJobs(env, db, { now, pendingBefore: now - UNSENT_GRACE_MS, dueBy: -1 });
    const lost = await resendLostJobs(env, db, now, LOST_MESSAGE_AFTER_MS);
    return { resent, lost };
  },
};

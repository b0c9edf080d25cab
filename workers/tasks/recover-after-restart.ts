import { and, eq, inArray, isNotNull, lt } from "drizzle-orm";
import { loadConfig } from "../../src/config";
import { eventDeliveries, jobs } from "../../src/db/schema";
import { RELEASE_WINDOW_MS, sendUnsentJobs } from "../../src/lib/queue/dispatch";
import type { CronTask } from "../cron";
import { recoverDeadJobs } from "./recover-stuck-jobs";

/**
 * A local runtime (`wrangler dev`) keeps its queues in memory: when it stops — a crash, Ctrl-C, a
 * SIGKILL — every message not yet consumed and every job run in progress go with it. On the edge
 * Queues keeps messages, so the crons wait out long thresholds before they call a job lost (a message
 * after 30 min, a run after 15 min). Locally the launcher (`npm start`, the bench server, the crash
 * test) says when this runtime started (LOCAL_RUNTIME_STARTED_AT), and everything older than that is
 * known dead at once: deliveries caught mid-attempt go back to RETRYING, runs in progress are
 * recovered as stuck jobs are, and waiting jobs whose message was sent before the start are sent again.
 * Off wherever the setting is unset (everywhere but a local run); after the first tick it finds nothing.
 */
export const recoverAfterRestart: CronTask = {
  name: "recover-after-restart",
  async run(ctx) {
    const startedAt = loadConfig(ctx.env).localRuntimeStartedAt;
    if (startedAt === null) return { skipped: "not a local runtime" };
    const { db, now } = ctx;
    const interrupted = await db
      .update(eventDeliveries)
      .set({ status: "RETRYING", nextAttemptAt: now, lastError: "The local runtime stopped during the attempt", updatedAt: now })
      .where(and(eq(eventDeliveries.status, "PROCESSING"), lt(eventDeliveries.updatedAt, startedAt)))
      .returning({ eventId: eventDeliveries.eventId });
    const stopped = new Error("The local runtime stopped while the job ran");
    stopped.name = "RuntimeStopped";
    const { requeued, failed } = await recoverDeadJobs(ctx, startedAt, stopped);
    // Their messages died with the runtime: the row forgets them (as a parked job's), and they go out again now.
    const forgotten = await db
      .update(jobs)
      .set({ enqueuedAt: null })
      .where(and(inArray(jobs.status, ["PENDING", "DELAYED"]), isNotNull(jobs.enqueuedAt), lt(jobs.enqueuedAt, startedAt)))
      .returning({ id: jobs.id });
    const resent = await sendUnsentJobs(ctx.env, db, { now, pendingBefore: startedAt, dueBy: now + RELEASE_WINDOW_MS });
    return { deliveries: interrupted.length, requeued, failed, messagesLost: forgotten.length, resent };
  },
};

import { clock } from "../src/lib/clock";
import { createDb, type Database } from "../src/db";
import { Logger } from "../src/lib/logger";
import { isolateMetrics } from "../src/lib/metrics/aggregator";
import { MetricsRecorder } from "../src/lib/metrics/recorder";
import { ErrorTracker } from "../src/lib/monitoring/tracker";
import { loadConfig } from "../src/config";
import type { Env } from "../src/env";
import { purgeExpiredSessions } from "./tasks/purge-expired-sessions";
import { purgeExpiredCache } from "./tasks/purge-expired-cache";
import { releaseDelayedJobs } from "./tasks/release-delayed-jobs";
import { recoverStuckJobs } from "./tasks/recover-stuck-jobs";
import { recoverAfterRestart } from "./tasks/recover-after-restart";
import { resendUnsentJobs } from "./tasks/resend-unsent-jobs";
import { autoSubmitAttempts } from "./tasks/auto-submit-attempts";
import { rollUpMetricsTask } from "./tasks/roll-up-metrics";
import { pruneMetricsTask } from "./tasks/prune-metrics";
import { sealAuditLogTask } from "./tasks/seal-audit-log";
import { pruneAuditLogTask } from "./tasks/prune-audit-log";
import { purgeSecuritySignals } from "./tasks/purge-security-signals";
import { pruneRateLimitLogsTask } from "./tasks/prune-rate-limit-logs";
import { pruneErrorLogsTask } from "./tasks/prune-error-logs";
import { pruneFinishedJobsTask } from "./tasks/prune-finished-jobs";
import { pruneProcessedEventsTask } from "./tasks/prune-processed-events";
import { redispatchEvents } from "./tasks/redispatch-events";
import { sweepOrphanFilesTask } from "./tasks/sweep-orphan-files";
import { pruneEmailTask } from "./tasks/prune-email";
import { queueWeeklySummaries } from "./tasks/queue-weekly-summaries";
import { expireExports } from "./tasks/expire-exports";
import { failAbandonedExports } from "./tasks/fail-abandoned-exports";

export const MAINTENANCE_CRON = "* * * * *";
export const RETENTION_CRON = "17 3 * * *";
/** Mondays 08:00 UTC: Cloudflare counts weekdays 1–7 from Sunday, so Monday is 2 (not 1 as in Unix cron). */
export const WEEKLY_CRON = "0 8 * * 2";

interface TaskContext {
  env: Env;
  db: Database;
  logger: Logger;
  now: number;
}

export type CronTask = { name: string; run: (ctx: TaskContext) => Promise<Record<string, unknown> | void> };

/** What each Cron Trigger runs, in order. Later features append their tasks here. */
export const CRON_TASKS: Record<string, CronTask[]> = {
  [MAINTENANCE_CRON]: [
    recoverAfterRestart,
    autoSubmitAttempts,
    purgeExpiredCache,
    recoverStuckJobs,
    releaseDelayedJobs,
    resendUnsentJobs,
    redispatchEvents,
    rollUpMetricsTask,
    sealAuditLogTask,
    purgeSecuritySignals,
    expireExports,
    failAbandonedExports,
  ],
  [RETENTION_CRON]: [
    purgeExpiredSessions,
    pruneMetricsTask,
    pruneAuditLogTask,
    pruneRateLimitLogsTask,
    pruneErrorLogsTask,
    pruneFinishedJobsTask,
    pruneProcessedEventsTask,
    sweepOrphanFilesTask,
    pruneEmailTask,
  ],
  [WEEKLY_CRON]: [queueWeeklySummaries],
};

/**
 * Runs every task of the trigger, each isolated from the others' failures, logging what each did and
 * recording its duration (`cron.task`); at the end flushes the isolate's metrics. Returns the
 * per-task outcome so tests (and a manual trigger) can see it.
 */
export async function runCron(cron: string, env: Env): Promise<Record<string, unknown>> {
  const config = loadConfig(env);
  const logger = new Logger({ cron }, config.logLevel);
  const ctx: TaskContext = { env, db: createDb(env.DB), logger, now: clock.now() };
  const tracker = new ErrorTracker({ env, logger, db: ctx.db, source: "scheduled", tags: () => ({ cron }) });
  const metrics = new MetricsRecorder(env.METRICS_ENGINE);
  const outcome: Record<string, unknown> = {};
  for (const task of CRON_TASKS[cron] ?? []) {
    const started = performance.now();
    try {
      outcome[task.name] = (await task.run(ctx)) ?? "ok";
      metrics.record("cron.task", performance.now() - started, { task: task.name, outcome: "ok" });
    } catch (error) {
      outcome[task.name] = { error: String(error) };
      metrics.record("cron.task", performance.now() - started, { task: task.name, outcome: "error" });
      tracker.capture(error, "error", { task: task.name });
    }
  }
  logger.info("cron finished", { outcome });
  await Promise.all([tracker.settled(), isolateMetrics.flush(env.DB, logger)]);
  return outcome;
}

/** The Worker's `scheduled` entry point. */
export async function handleScheduled(controller: ScheduledController, env: Env, ctx: ExecutionContext): Promise<void> {
  ctx.waitUntil(runCron(controller.cron, env).then(() => undefined));
}

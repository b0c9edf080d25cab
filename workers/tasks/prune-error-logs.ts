import { loadConfig } from "../../src/config";
import { deleteInChunks, type DeleteTarget } from "../../src/db/delete-in-chunks";
import { DAY_MS } from "../../src/lib/clock";
import type { CronTask } from "../cron";

/** A recurrence clears `resolved_at`, so only errors that stayed resolved match. */
export const RESOLVED_ERRORS: DeleteTarget = { table: "error_logs", where: "resolved_at < ?" };
export const STALE_ERRORS: DeleteTarget = { table: "error_logs", where: "last_seen_at < ?" };

/**
 * Daily: errors resolved more than ERROR_LOG_RESOLVED_RETENTION_DAYS ago, and any error not seen for
 * ERROR_LOG_RETENTION_DAYS, resolved or not. An error that comes back later starts a new row.
 */
export const pruneErrorLogsTask: CronTask = {
  name: "prune-error-logs",
  async run({ env, now }) {
    const config = loadConfig(env);
    const resolved = await deleteInChunks(env.DB, RESOLVED_ERRORS, [now - config.errorLogResolvedRetentionDays * DAY_MS]);
    const stale = await deleteInChunks(env.DB, STALE_ERRORS, [now - config.errorLogRetentionDays * DAY_MS]);
    return { resolved, stale };
  },
};

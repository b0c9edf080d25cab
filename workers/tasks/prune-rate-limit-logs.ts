import { loadConfig } from "../../src/config";
import { deleteInChunks, type DeleteTarget } from "../../src/db/delete-in-chunks";
import { DAY_MS } from "../../src/lib/clock";
import type { CronTask } from "../cron";

/** Windows recorded before the cut-off, unless they still hold a block (the admin API lifts those). */
export const OLD_RATE_LIMIT_LOGS: DeleteTarget = {
  table: "rate_limit_logs",
  where: "created_at < ?1 AND (blocked_until IS NULL OR blocked_until < ?2)",
};

/** Daily: rate-limit windows older than RATE_LIMIT_LOG_RETENTION_DAYS (the live counters are in the limiter). */
export const pruneRateLimitLogsTask: CronTask = {
  name: "prune-rate-limit-logs",
  run: ({ env, now }) => deleteInChunks(env.DB, OLD_RATE_LIMIT_LOGS, [now - loadConfig(env).rateLimitLogRetentionDays * DAY_MS, now]),
};

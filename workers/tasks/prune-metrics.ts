import { loadConfig } from "../../src/config";
import { pruneMetrics } from "../../src/lib/metrics/rollup";
import type { CronTask } from "../cron";

/** Daily: raw points past METRICS_RAW_RETENTION_DAYS, hourly roll-ups past METRICS_HOURLY_RETENTION_DAYS. */
export const pruneMetricsTask: CronTask = {
  name: "prune-metrics",
  run({ env, now }) {
    const config = loadConfig(env);
    return pruneMetrics(env.DB, now, config.metricsRawRetentionDays, config.metricsHourlyRetentionDays);
  },
};

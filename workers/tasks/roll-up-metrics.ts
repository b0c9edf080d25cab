import { rollUpMetrics } from "../../src/lib/metrics/rollup";
import type { CronTask } from "../cron";

/** Every tick: closed hours of raw points → hourly roll-ups, complete days → daily roll-ups. */
export const rollUpMetricsTask: CronTask = {
  name: "roll-up-metrics",
  run: ({ env, now }) => rollUpMetrics(env.DB, now),
};

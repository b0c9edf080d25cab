import type { D1Queryable } from "../../db";

export const MINUTE_MS = 60_000;
export const HOUR_MS = 3_600_000;
export const DAY_MS = 86_400_000;

/**
 * How far the roll-ups reach: every hour before `hourEnd` and every day before `dayEnd` has been
 * rolled up (0 = nothing yet). Queries read roll-ups before these marks and minute rows after them.
 */
export interface RollupWatermarks {
  hourEnd: number;
  dayEnd: number;
}

export async function readWatermarks(d1: D1Queryable): Promise<RollupWatermarks> {
  const row = await d1
    .prepare(
      `SELECT (SELECT MAX(bucket_start) FROM metric_rollups WHERE bucket = '1h') AS h,
              (SELECT MAX(bucket_start) FROM metric_rollups WHERE bucket = '1d') AS d`,
    )
    .first<{ h: number | null; d: number | null }>();
  return {
    hourEnd: row?.h != null ? row.h + HOUR_MS : 0,
    dayEnd: row?.d != null ? row.d + DAY_MS : 0,
  };
}

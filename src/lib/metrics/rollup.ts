import { deleteInChunks, type DeleteTarget } from "../../db/delete-in-chunks";
import type { MetricSketch } from "../../db/schema";
import { mergeMinuteRows } from "./minute-rows";
import { addSketch, emptyCounts, toSketch, type DenseCounts } from "./sketch";
import { DAY_MS, HOUR_MS, readWatermarks } from "./watermarks";

/**
 * An hour is rolled up this long after it closes: isolates flush their minute rows within
 * FLUSH_INTERVAL_MS, and the aggregator drops (and counts) rows that come later than this.
 */
export const ROLLUP_GRACE_MS = 2 * 60_000;
/** Bounded work per cron tick; a backlog catches up over the following ticks. */
const MAX_HOURS_PER_RUN = 24;
const MAX_DAYS_PER_RUN = 7;

interface Group {
  name: string;
  tagsKey: string;
  tags: string;
  count: number;
  sum: number;
  min: number;
  max: number;
  counts: DenseCounts;
}

function mergeInto(groups: Map<string, Group>, row: Omit<Group, "counts">, sketch: MetricSketch | null) {
  const key = `${row.name}\u0000${row.tagsKey}`;
  let group = groups.get(key);
  if (!group) {
    group = { ...row, counts: emptyCounts() };
    groups.set(key, group);
  } else {
    group.count += row.count;
    group.sum += row.sum;
    group.min = Math.min(group.min, row.min);
    group.max = Math.max(group.max, row.max);
  }
  addSketch(group.counts, sketch);
}

/** Upserts (replaces) roll-up rows: re-running a period is harmless. */
async function writeRollups(d1: D1Database, level: "1h" | "1d", bucketStart: number, groups: Iterable<Group>): Promise<number> {
  const rows = [...groups];
  const ROWS_PER_STATEMENT = 9; // 10 parameters a row, D1 allows 100 per statement
  const statements: D1PreparedStatement[] = [];
  for (let i = 0; i < rows.length; i += ROWS_PER_STATEMENT) {
    const chunk = rows.slice(i, i + ROWS_PER_STATEMENT);
    const values = chunk.map(() => "(?, ?, ?, ?, ?, ?, ?, ?, ?, ?)").join(", ");
    statements.push(
      d1
        .prepare(
          `INSERT INTO metric_rollups (name, bucket, bucket_start, tags_key, tags, count, sum, min, max, sketch) VALUES ${values}
           ON CONFLICT(name, bucket, bucket_start, tags_key) DO UPDATE SET tags = excluded.tags, count = excluded.count,
             sum = excluded.sum, min = excluded.min, max = excluded.max, sketch = excluded.sketch`,
        )
        .bind(
          ...chunk.flatMap((g) => [
            g.name,
            level,
            bucketStart,
            g.tagsKey,
            g.tags,
            g.count,
            g.sum,
            g.min,
            g.max,
            JSON.stringify(toSketch(g.counts)),
          ]),
        ),
    );
  }
  if (statements.length > 0) await d1.batch(statements);
  return rows.length;
}

/** One hour of minute rows → one roll-up row per (name, tag set), totals and histograms merged in SQL. */
async function rollUpHour(d1: D1Database, hourStart: number): Promise<number> {
  const groups = await mergeMinuteRows<{ name: string; tagsKey: string; tags: string }>(
    d1,
    { name: "name", tagsKey: "tags_key" },
    "timestamp >= ?1 AND timestamp < ?2",
    [hourStart, hourStart + HOUR_MS],
    "MIN(tags) AS tags",
  );
  return writeRollups(d1, "1h", hourStart, groups);
}

/** One day of hourly roll-ups → daily roll-ups (histograms merge by adding counts). */
async function rollUpDay(d1: D1Database, dayStart: number): Promise<number> {
  const { results } = await d1
    .prepare(
      `SELECT name, tags_key AS tagsKey, tags, count, sum, min, max, sketch FROM metric_rollups
       WHERE bucket = '1h' AND bucket_start >= ?1 AND bucket_start < ?2`,
    )
    .bind(dayStart, dayStart + DAY_MS)
    .all<Omit<Group, "counts"> & { sketch: string | null }>();
  const groups = new Map<string, Group>();
  for (const { sketch, ...row } of results) {
    mergeInto(groups, row, sketch ? (JSON.parse(sketch) as MetricSketch) : null);
  }
  return writeRollups(d1, "1d", dayStart, groups.values());
}

/**
 * Rolls every closed hour after the hourly watermark, then every day whose hours are all rolled.
 * Empty stretches are skipped by jumping to the next hour that has points.
 */
export async function rollUpMetrics(d1: D1Database, now: number) {
  const closedHourEnd = Math.floor((now - ROLLUP_GRACE_MS) / HOUR_MS) * HOUR_MS;
  let { hourEnd, dayEnd } = await readWatermarks(d1);
  let hours = 0;
  let hourRows = 0;
  while (hours < MAX_HOURS_PER_RUN) {
    const next = await d1
      .prepare("SELECT MIN(timestamp) AS ts FROM system_metrics WHERE timestamp >= ?1 AND timestamp < ?2")
      .bind(hourEnd, closedHourEnd)
      .first<{ ts: number | null }>();
    if (next?.ts == null) break;
    const hourStart = Math.floor(next.ts / HOUR_MS) * HOUR_MS;
    hourRows += await rollUpHour(d1, hourStart);
    hourEnd = hourStart + HOUR_MS;
    hours++;
  }
  let days = 0;
  let dayRows = 0;
  const closedDayEnd = Math.floor(hourEnd / DAY_MS) * DAY_MS;
  while (days < MAX_DAYS_PER_RUN) {
    const next = await d1
      .prepare("SELECT MIN(bucket_start) AS ts FROM metric_rollups WHERE bucket = '1h' AND bucket_start >= ?1 AND bucket_start < ?2")
      .bind(dayEnd, closedDayEnd)
      .first<{ ts: number | null }>();
    if (next?.ts == null) break;
    const dayStart = Math.floor(next.ts / DAY_MS) * DAY_MS;
    dayRows += await rollUpDay(d1, dayStart);
    dayEnd = dayStart + DAY_MS;
    days++;
  }
  return { hours, hourRows, days, dayRows };
}

export const RAW_POINTS: DeleteTarget = { table: "system_metrics", where: "timestamp < ?" };
export const HOURLY_ROLLUPS: DeleteTarget = { table: "metric_rollups", where: "bucket = '1h' AND bucket_start < ?" };

/**
 * Retention: minute rows older than the raw retention (and already rolled up), hourly roll-ups older
 * than the hourly retention (and already in a daily roll-up). Daily roll-ups are kept.
 */
export async function pruneMetrics(d1: D1Database, now: number, rawDays: number, hourlyDays: number) {
  const { hourEnd, dayEnd } = await readWatermarks(d1);
  const rawCutoff = Math.min(now - rawDays * DAY_MS, hourEnd);
  const hourlyCutoff = Math.min(now - hourlyDays * DAY_MS, dayEnd);
  const raw = await deleteInChunks(d1, RAW_POINTS, [rawCutoff]);
  const hourly = await deleteInChunks(d1, HOURLY_ROLLUPS, [hourlyCutoff]);
  return { rawDeleted: raw.deleted, hourlyDeleted: hourly.deleted, rawCutoff, hourlyCutoff };
}

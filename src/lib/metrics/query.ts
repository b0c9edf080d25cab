import type { D1Queryable } from "../../db";
import type { MetricSketch } from "../../db/schema";
import { mergeMinuteRows } from "./minute-rows";
import { addSketch, emptyCounts, sketchPercentile, type DenseCounts } from "./sketch";
import { DAY_MS, HOUR_MS, MINUTE_MS, readWatermarks } from "./watermarks";

export const QUERY_BUCKETS = { "1m": MINUTE_MS, "5m": 5 * MINUTE_MS, "1h": HOUR_MS, "1d": DAY_MS } as const;
type QueryBucket = keyof typeof QUERY_BUCKETS;

/** A series longer than this is refused: ask for a coarser bucket or a shorter range. */
export const MAX_SERIES_POINTS = 1500;

export interface MetricQuery {
  name: string;
  from: number;
  /** Exclusive. */
  to: number;
  bucket: QueryBucket;
  /** Points must carry every one of these tag values. */
  tags: Record<string, string>;
}

export interface SeriesPoint {
  t: string;
  count: number;
  sum: number;
  avg: number | null;
  min: number | null;
  max: number | null;
  p50: number | null;
  p95: number | null;
  p99: number | null;
}

interface Accumulator {
  count: number;
  sum: number;
  min: number;
  max: number;
  counts: DenseCounts;
}

/** `AND json_extract(tags, '$."k"') = ?` per tag; keys are validated by the route (no quotes). */
function tagFilter(tags: Record<string, string>, firstParam: number): { sql: string; params: string[] } {
  const params: string[] = [];
  const parts = Object.entries(tags).map(([key, value]) => {
    params.push(`$."${key}"`, value);
    return `AND json_extract(tags, ?${firstParam + params.length - 2}) = ?${firstParam + params.length - 1}`;
  });
  return { sql: parts.join(" "), params };
}

function accumulate(map: Map<number, Accumulator>, t: number, part: { count: number; sum: number; min: number; max: number }): Accumulator {
  const acc = map.get(t);
  if (!acc) {
    const fresh: Accumulator = { count: part.count, sum: part.sum, min: part.min, max: part.max, counts: emptyCounts() };
    map.set(t, fresh);
    return fresh;
  }
  acc.count += part.count;
  acc.sum += part.sum;
  acc.min = Math.min(acc.min, part.min);
  acc.max = Math.max(acc.max, part.max);
  return acc;
}

/**
 * Minute rows in [from, to) — `from` rounded down to its minute, since a row covers its whole
 * minute — merged per bucket in SQL (totals and histogram bins).
 */
async function fromMinuteRows(d1: D1Queryable, q: MetricQuery, from: number, to: number, size: number, map: Map<number, Accumulator>) {
  const first = from - (from % MINUTE_MS);
  if (first >= to) return;
  const filter = tagFilter(q.tags, 5);
  const buckets = await mergeMinuteRows<{ t: number }>(
    d1,
    { t: "timestamp / CAST(?1 AS INTEGER) * CAST(?1 AS INTEGER)" },
    `name = ?2 AND timestamp >= ?3 AND timestamp < ?4 ${filter.sql}`,
    [size, q.name, first, to, ...filter.params],
  );
  for (const bucket of buckets) {
    const acc = accumulate(map, bucket.t, bucket);
    bucket.counts.forEach((n, bin) => {
      acc.counts[bin]! += n;
    });
  }
}

/** Roll-up rows of one level in [from, to), merged into the query's buckets. */
async function fromRollups(
  d1: D1Queryable,
  q: MetricQuery,
  level: "1h" | "1d",
  from: number,
  to: number,
  size: number,
  map: Map<number, Accumulator>,
) {
  if (from >= to) return;
  const filter = tagFilter(q.tags, 5);
  const { results } = await d1
    .prepare(
      `SELECT bucket_start, count, sum, min, max, sketch FROM metric_rollups
       WHERE name = ?1 AND bucket = ?2 AND bucket_start >= ?3 AND bucket_start < ?4 ${filter.sql}`,
    )
    .bind(q.name, level, from, to, ...filter.params)
    .all<{ bucket_start: number; count: number; sum: number; min: number; max: number; sketch: string | null }>();
  for (const row of results) {
    const acc = accumulate(map, Math.floor(row.bucket_start / size) * size, row);
    addSketch(acc.counts, row.sketch ? (JSON.parse(row.sketch) as MetricSketch) : null);
  }
}

const round = (value: number) => Math.round(value * 1000) / 1000;

/**
 * A metric as a dense series of buckets `{ t, count, sum, avg, min, max, p50, p95, p99 }`.
 * 1m/5m read minute rows; 1h reads hourly roll-ups then minute rows after them; 1d reads daily
 * roll-ups, then hourly, then minute rows. count, sum, avg, min and max are exact; percentiles are
 * estimates from the merged log-scale histogram (within one bin: ±12 %), clamped to [min, max].
 */
export async function queryMetric(d1: D1Queryable, q: MetricQuery): Promise<SeriesPoint[]> {
  const size = QUERY_BUCKETS[q.bucket];
  const start = Math.floor(q.from / size) * size;
  const map = new Map<number, Accumulator>();
  if (q.bucket === "1m" || q.bucket === "5m") {
    await fromMinuteRows(d1, q, q.from, q.to, size, map);
  } else {
    const marks = await readWatermarks(d1);
    const dayEnd = q.bucket === "1d" ? Math.min(marks.dayEnd, q.to) : q.from;
    const hourEnd = Math.max(Math.min(marks.hourEnd, q.to), Math.max(q.from, dayEnd));
    if (q.bucket === "1d") await fromRollups(d1, q, "1d", q.from, dayEnd, size, map);
    await fromRollups(d1, q, "1h", Math.max(q.from, dayEnd), hourEnd, size, map);
    await fromMinuteRows(d1, q, Math.max(q.from, hourEnd), q.to, size, map);
  }
  const series: SeriesPoint[] = [];
  for (let t = start; t < q.to; t += size) {
    const acc = map.get(t);
    if (!acc || acc.count === 0) {
      series.push({ t: new Date(t).toISOString(), count: 0, sum: 0, avg: null, min: null, max: null, p50: null, p95: null, p99: null });
      continue;
    }
    series.push({
      t: new Date(t).toISOString(),
      count: acc.count,
      sum: round(acc.sum),
      avg: round(acc.sum / acc.count),
      min: round(acc.min),
      max: round(acc.max),
      p50: round(sketchPercentile(acc.counts, 50, acc.min, acc.max)),
      p95: round(sketchPercentile(acc.counts, 95, acc.min, acc.max)),
      p99: round(sketchPercentile(acc.counts, 99, acc.min, acc.max)),
    });
  }
  return series;
}

/**
 * Every metric name seen: those rolled up, plus minute rows newer than the roll-ups (older rows are
 * in the roll-ups already, so the time index keeps this from scanning all minute rows).
 */
export async function metricNames(d1: D1Queryable): Promise<string[]> {
  const { hourEnd } = await readWatermarks(d1);
  const { results } = await d1
    .prepare(
      `SELECT DISTINCT name FROM system_metrics WHERE timestamp >= ?1
       UNION SELECT DISTINCT name FROM metric_rollups ORDER BY name LIMIT 1000`,
    )
    .bind(Math.max(0, hourEnd - HOUR_MS))
    .all<{ name: string }>();
  return results.map((row) => row.name);
}

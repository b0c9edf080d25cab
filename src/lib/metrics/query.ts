import type { D1Queryable } from "../../db";
import type { MetricSketch } from "../../db/schema";
import { addSketch, emptyCounts, SKETCH_INDEX_SQL, sketchPercentile, type DenseCounts } from "./sketch";
import { DAY_MS, HOUR_MS, readWatermarks } from "./watermarks";

export const QUERY_BUCKETS = { "1m": 60_000, "5m": 300_000, "1h": HOUR_MS, "1d": DAY_MS } as const;
export type QueryBucket = keyof typeof QUERY_BUCKETS;

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
  /** Exact percentiles, valid only while every point of the bucket came from raw rows. */
  exact: { p50: number; p95: number; p99: number } | null;
  counts: DenseCounts | null;
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

function accumulate(map: Map<number, Accumulator>, t: number, part: { count: number; sum: number; min: number; max: number }) {
  const acc = map.get(t);
  if (!acc) {
    const fresh: Accumulator = { ...part, exact: null, counts: null };
    map.set(t, fresh);
    return fresh;
  }
  acc.count += part.count;
  acc.sum += part.sum;
  acc.min = Math.min(acc.min, part.min);
  acc.max = Math.max(acc.max, part.max);
  return acc;
}

/** Raw points in [from, to), aggregated per bucket in SQL, percentiles exact (nearest rank). */
async function fromRaw(d1: D1Queryable, q: MetricQuery, from: number, to: number, size: number, map: Map<number, Accumulator>) {
  if (from >= to) return;
  const filter = tagFilter(q.tags, 5);
  const { results } = await d1
    .prepare(
      `WITH pts AS (
         SELECT timestamp / CAST(?1 AS INTEGER) AS b, value FROM system_metrics
         WHERE name = ?2 AND timestamp >= ?3 AND timestamp < ?4 ${filter.sql}
       ), ranked AS (
         SELECT b, value, ROW_NUMBER() OVER (PARTITION BY b ORDER BY value) AS rn, COUNT(*) OVER (PARTITION BY b) AS cnt FROM pts
       )
       SELECT b * CAST(?1 AS INTEGER) AS t, COUNT(*) AS count, SUM(value) AS sum, MIN(value) AS min, MAX(value) AS max,
         MAX(CASE WHEN rn = (cnt * 50 + 99) / 100 THEN value END) AS p50,
         MAX(CASE WHEN rn = (cnt * 95 + 99) / 100 THEN value END) AS p95,
         MAX(CASE WHEN rn = (cnt * 99 + 99) / 100 THEN value END) AS p99
       FROM ranked GROUP BY b ORDER BY b`,
    )
    .bind(size, q.name, from, to, ...filter.params)
    .all<{ t: number; count: number; sum: number; min: number; max: number; p50: number; p95: number; p99: number }>();
  for (const row of results) {
    const existed = map.has(row.t);
    const acc = accumulate(map, row.t, row);
    if (!existed) acc.exact = { p50: row.p50, p95: row.p95, p99: row.p99 };
    else await addRawBins(d1, q, Math.max(from, row.t), Math.min(to, row.t + size), acc);
  }
}

/** When a bucket mixes roll-ups and raw points, the raw part joins the histogram instead. */
async function addRawBins(d1: D1Queryable, q: MetricQuery, from: number, to: number, acc: Accumulator) {
  const filter = tagFilter(q.tags, 4);
  const { results } = await d1
    .prepare(
      `SELECT ${SKETCH_INDEX_SQL("value")} AS bin, COUNT(*) AS n FROM system_metrics
       WHERE name = ?1 AND timestamp >= ?2 AND timestamp < ?3 ${filter.sql} GROUP BY bin`,
    )
    .bind(q.name, from, to, ...filter.params)
    .all<{ bin: number; n: number }>();
  acc.counts ??= emptyCounts();
  for (const row of results) acc.counts[row.bin]! += row.n;
  acc.exact = null;
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
    const t = Math.floor(row.bucket_start / size) * size;
    // Roll-ups are read before raw points, so a bucket here never holds raw points yet.
    const acc = accumulate(map, t, row);
    acc.exact = null;
    acc.counts ??= emptyCounts();
    addSketch(acc.counts, row.sketch ? (JSON.parse(row.sketch) as MetricSketch) : null);
  }
}

const round = (value: number) => Math.round(value * 1000) / 1000;

/**
 * A metric as a dense series of buckets `{ t, count, sum, avg, min, max, p50, p95, p99 }`.
 * 1m/5m read raw points; 1h reads hourly roll-ups then raw points after them; 1d reads daily
 * roll-ups, then hourly, then raw. Percentiles are exact where a bucket is all raw points and
 * histogram estimates (within ±12 %) where roll-ups are involved.
 */
export async function queryMetric(d1: D1Queryable, q: MetricQuery): Promise<SeriesPoint[]> {
  const size = QUERY_BUCKETS[q.bucket];
  const start = Math.floor(q.from / size) * size;
  const map = new Map<number, Accumulator>();
  if (q.bucket === "1m" || q.bucket === "5m") {
    await fromRaw(d1, q, q.from, q.to, size, map);
  } else {
    const marks = await readWatermarks(d1);
    const dayEnd = q.bucket === "1d" ? Math.min(marks.dayEnd, q.to) : q.from;
    const hourEnd = Math.max(Math.min(marks.hourEnd, q.to), Math.max(q.from, dayEnd));
    if (q.bucket === "1d") await fromRollups(d1, q, "1d", q.from, dayEnd, size, map);
    await fromRollups(d1, q, "1h", Math.max(q.from, dayEnd), hourEnd, size, map);
    await fromRaw(d1, q, Math.max(q.from, hourEnd), q.to, size, map);
  }
  const series: SeriesPoint[] = [];
  for (let t = start; t < q.to; t += size) {
    const acc = map.get(t);
    if (!acc || acc.count === 0) {
      series.push({ t: new Date(t).toISOString(), count: 0, sum: 0, avg: null, min: null, max: null, p50: null, p95: null, p99: null });
      continue;
    }
    const pct = acc.exact ?? {
      p50: sketchPercentile(acc.counts ?? emptyCounts(), 50, acc.min, acc.max),
      p95: sketchPercentile(acc.counts ?? emptyCounts(), 95, acc.min, acc.max),
      p99: sketchPercentile(acc.counts ?? emptyCounts(), 99, acc.min, acc.max),
    };
    series.push({
      t: new Date(t).toISOString(),
      count: acc.count,
      sum: round(acc.sum),
      avg: round(acc.sum / acc.count),
      min: round(acc.min),
      max: round(acc.max),
      p50: round(pct.p50),
      p95: round(pct.p95),
      p99: round(pct.p99),
    });
  }
  return series;
}

/**
 * Every metric name seen: those rolled up, plus raw points newer than the roll-ups (older raw
 * points are in the roll-ups already, so the time index keeps this from scanning all raw rows).
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

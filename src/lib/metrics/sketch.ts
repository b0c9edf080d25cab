import type { MetricSketch } from "../../db/schema";

/**
 * Log-scale histogram bounds shared by every roll-up: bound i = 0.001 × 1.25^i, from 0.001 to ~1e9.
 * A value lands in the first bucket whose bound is >= it, so an estimate is within one bucket
 * (at most 25 % wide; ±12 % around the bucket's geometric middle).
 */
const SKETCH_BASE = 0.001;
const SKETCH_GROWTH = 1.25;
export const SKETCH_BUCKETS = 125;
export const SKETCH_BOUNDS: readonly number[] = Array.from({ length: SKETCH_BUCKETS }, (_, i) => SKETCH_BASE * SKETCH_GROWTH ** i);

/**
 * Global bucket index of a value (SKETCH_BUCKETS = overflow): the keys of `system_metrics.bins`.
 * migrations/0003_metric_minute_aggregates.sql has the same formula in SQL.
 */
export function sketchIndex(value: number): number {
  if (!(value > SKETCH_BASE)) return 0;
  const i = Math.ceil(Math.log(value / SKETCH_BASE) / Math.log(SKETCH_GROWTH) - 1e-9);
  return Math.min(i, SKETCH_BUCKETS);
}

/** Dense counts over the global bounds (length SKETCH_BUCKETS + 1, last = overflow). */
export type DenseCounts = number[];

export const emptyCounts = (): DenseCounts => new Array<number>(SKETCH_BUCKETS + 1).fill(0);

/** Stored form: only the bounds between the first and last non-empty bucket, to keep rows small. */
export function toSketch(counts: DenseCounts): MetricSketch {
  let lo = counts.findIndex((n) => n > 0);
  if (lo === -1) return { bounds: [], counts: [0] };
  let hi = counts.length - 1;
  while (counts[hi] === 0) hi--;
  const overflow = hi === SKETCH_BUCKETS ? counts[SKETCH_BUCKETS]! : 0;
  const last = Math.min(hi, SKETCH_BUCKETS - 1);
  lo = Math.min(lo, last);
  return { bounds: SKETCH_BOUNDS.slice(lo, last + 1), counts: [...counts.slice(lo, last + 1), overflow] };
}

/** Adds a stored sketch into dense counts (bounds are looked up, so any trimmed slice merges). */
export function addSketch(into: DenseCounts, sketch: MetricSketch | null | undefined): void {
  if (!sketch) return;
  sketch.bounds.forEach((bound, i) => {
    into[sketchIndex(bound)]! += sketch.counts[i] ?? 0;
  });
  into[SKETCH_BUCKETS]! += sketch.counts[sketch.bounds.length] ?? 0;
}

/** Nearest-rank percentile estimate from counts, clamped to the exact min and max. */
export function sketchPercentile(counts: DenseCounts, p: number, min: number, max: number): number {
  const total = counts.reduce((a, b) => a + b, 0);
  if (total === 0) return 0;
  const rank = Math.max(1, Math.ceil((p / 100) * total));
  let seen = 0;
  for (let i = 0; i < counts.length; i++) {
    seen += counts[i]!;
    if (seen < rank) continue;
    if (i === SKETCH_BUCKETS) return max;
    const upper = SKETCH_BOUNDS[i]!;
    const lower = i === 0 ? Math.min(min, upper) : SKETCH_BOUNDS[i - 1]!;
    const middle = lower > 0 ? Math.sqrt(lower * upper) : upper / 2;
    return Math.min(max, Math.max(min, middle));
  }
  return max;
}

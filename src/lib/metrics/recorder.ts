import { clock } from "../clock";
import type { Database } from "../../db";
import { systemMetrics, type NewSystemMetric } from "../../db/schema";

export type MetricTags = Record<string, string>;

/** D1 binds at most 100 parameters per statement; a metric row binds 5. */
const ROWS_PER_INSERT = 20;
/** A runaway loop must not turn one request into thousands of rows. */
const MAX_POINTS_PER_FLUSH = 500;

/** Canonical `k=v,k=v` form (sorted keys) so equal tag sets compare and filter as equal strings. */
export function tagsKey(tags: MetricTags): string {
  return Object.keys(tags)
    .sort()
    .map((key) => `${key}=${tags[key]}`)
    .join(",");
}

/**
 * Buffers metric points for one request (or job) and writes them in a single D1 batch after the
 * response, so recording a metric never costs the caller a round trip.
 */
export class MetricsRecorder {
  private points: NewSystemMetric[] = [];

  record(name: string, value: number, tags: MetricTags = {}): void {
    if (!Number.isFinite(value) || this.points.length >= MAX_POINTS_PER_FLUSH) return;
    this.points.push({ name, value, tags, tagsKey: tagsKey(tags), timestamp: clock.now() });
  }

  /** Runs `fn` and records its wall time in milliseconds under `name`, whether it succeeds or throws. */
  async measure<T>(name: string, fn: () => Promise<T> | T, tags: MetricTags = {}): Promise<T> {
    const started = performance.now();
    try {
      return await fn();
    } finally {
      this.record(name, performance.now() - started, tags);
    }
  }

  get pending(): number {
    return this.points.length;
  }

  async flush(db: Database): Promise<void> {
    if (this.points.length === 0) return;
    const points = this.points;
    this.points = [];
    const inserts = [];
    for (let i = 0; i < points.length; i += ROWS_PER_INSERT) {
      inserts.push(db.insert(systemMetrics).values(points.slice(i, i + ROWS_PER_INSERT)));
    }
    const [first, ...rest] = inserts;
    if (first) await db.batch([first, ...rest]);
  }
}

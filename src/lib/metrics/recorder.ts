import type { MetricTags } from "../../db/schema";
import { isolateMetrics, type MetricsAggregator } from "./aggregator";

/** Analytics Engine accepts at most 250 `writeDataPoint` calls per Worker invocation. */
export const ENGINE_POINTS_PER_INVOCATION = 250;

/** Canonical `k=v,k=v` form (sorted keys) so equal tag sets compare and filter as equal strings. */
export function tagsKey(tags: MetricTags): string {
  return Object.keys(tags)
    .sort()
    .map((key) => `${key}=${tags[key]}`)
    .join(",");
}

/**
 * What one request (or queue batch, or cron run) records metrics through: each point goes into the
 * isolate's aggregator (written to D1 as minute aggregates, see aggregator.ts) and, when the
 * `METRICS_ENGINE` Analytics Engine dataset is bound, to it as well. Recording never waits on I/O.
 * Keep tag values low-cardinality (route templates, not ids).
 */
export class MetricsRecorder {
  private engineWrites = 0;

  constructor(
    private readonly engine?: AnalyticsEngineDataset,
    private readonly aggregator: MetricsAggregator = isolateMetrics,
  ) {}

  record(name: string, value: number, tags: MetricTags = {}): void {
    if (!Number.isFinite(value)) return;
    const key = tagsKey(tags);
    this.aggregator.add(name, tags, key, value);
    if (!this.engine) return;
    if (this.engineWrites >= ENGINE_POINTS_PER_INVOCATION) {
      this.aggregator.drop("engine", 1);
      return;
    }
    this.engineWrites++;
    try {
      // Not awaited: the runtime sends data points in the background.
      this.engine.writeDataPoint({ blobs: [name, key], doubles: [value], indexes: [name] });
    } catch {
      this.aggregator.drop("engine", 1); // e.g. a name longer than the 96-byte index limit
    }
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
}

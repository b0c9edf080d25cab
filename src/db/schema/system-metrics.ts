import { index, integer, real, sqliteTable, text, uniqueIndex } from "drizzle-orm/sqlite-core";

export type MetricTags = Record<string, string>;
/** JSON object keyed by bin index as a string, e.g. `{"57": 3, "58": 1}`. */
export type MetricBins = Record<string, number>;

/**
 * Minute aggregates of metric points, as each isolate flushes them (src/lib/metrics/aggregator.ts):
 * several rows may share (name, tags, timestamp) — one per isolate and flush — and readers sum them.
 * High volume, so an integer rowid key instead of a prefixed string.
 */
export const systemMetrics = sqliteTable(
  "system_metrics",
  {
    id: integer("id").primaryKey({ autoIncrement: true }),
    name: text("name").notNull(),
    tags: text("tags", { mode: "json" }).$type<MetricTags>().notNull().default({}),
    /** Canonical form of `tags`: keys sorted, "k=v,k=v" ("" when untagged), for equality filters. */
    tagsKey: text("tags_key").notNull().default(""),
    /** Start of the minute the points fall in (epoch ms). */
    timestamp: integer("timestamp").notNull(),
    count: integer("count").notNull(),
    sum: real("sum").notNull(),
    min: real("min").notNull(),
    max: real("max").notNull(),
    /** Sparse histogram: global sketch bin index (`sketchIndex`) → number of points in it. */
    bins: text("bins", { mode: "json" }).$type<MetricBins>().notNull(),
  },
  (t) => [index("system_metrics_name_timestamp_idx").on(t.name, t.timestamp), index("system_metrics_timestamp_idx").on(t.timestamp)],
);

export type SystemMetric = typeof systemMetrics.$inferSelect;
export type NewSystemMetric = typeof systemMetrics.$inferInsert;

export const METRIC_BUCKETS = ["1h", "1d"] as const;
export type MetricBucket = (typeof METRIC_BUCKETS)[number];

/**
 * Fixed-boundary histogram for percentile estimates: `counts.length === bounds.length + 1`,
 * `counts[i]` counts values <= `bounds[i]` (and > the previous bound); the last entry is overflow.
 * Sketches with the same bounds merge by adding counts.
 */
export type MetricSketch = { bounds: number[]; counts: number[] };

export const metricRollups = sqliteTable(
  "metric_rollups",
  {
    id: integer("id").primaryKey({ autoIncrement: true }),
    name: text("name").notNull(),
    bucket: text("bucket", { enum: METRIC_BUCKETS }).notNull(),
    bucketStart: integer("bucket_start").notNull(),
    tagsKey: text("tags_key").notNull().default(""),
    tags: text("tags", { mode: "json" }).$type<MetricTags>().notNull().default({}),
    count: integer("count").notNull(),
    sum: real("sum").notNull(),
    min: real("min").notNull(),
    max: real("max").notNull(),
    sketch: text("sketch", { mode: "json" }).$type<MetricSketch>(),
  },
  (t) => [
    uniqueIndex("metric_rollups_name_bucket_bucket_start_tags_key_idx").on(t.name, t.bucket, t.bucketStart, t.tagsKey),
    index("metric_rollups_bucket_bucket_start_idx").on(t.bucket, t.bucketStart),
  ],
);

export type MetricRollup = typeof metricRollups.$inferSelect;
export type NewMetricRollup = typeof metricRollups.$inferInsert;

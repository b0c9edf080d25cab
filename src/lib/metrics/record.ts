import type { Context } from "hono";
import type { AppEnv } from "../../env";
import type { MetricTags } from "./recorder";

/**
 * A custom metric point for this request, written with the request's own point in one batch after
 * the response. Keep tag values low-cardinality (route templates, not ids).
 */
export function recordMetric(c: Context<AppEnv>, name: string, value: number, tags: MetricTags = {}): void {
  c.var.metrics.record(name, value, tags);
}

/** Runs `fn` and records its duration in ms under `name`, whether it succeeds or throws. */
export function measure<T>(c: Context<AppEnv>, name: string, fn: () => Promise<T> | T, tags: MetricTags = {}): Promise<T> {
  return c.var.metrics.measure(name, fn, tags);
}

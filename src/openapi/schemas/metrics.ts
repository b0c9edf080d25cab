import { z } from "zod";
import { isoDateTime } from "./primitives";

export const metricNamesSchema = z.object({ data: z.array(z.string()) });

/** A metric's series, one point per bucket (src/lib/metrics/query.ts). */
export const metricSeriesSchema = z.object({
  name: z.string(),
  bucket: z.string(),
  from: isoDateTime,
  to: isoDateTime,
  tags: z.record(z.string(), z.string()),
  series: z.array(
    z.object({
      t: isoDateTime,
      count: z.number(),
      sum: z.number(),
      avg: z.number().nullable(),
      min: z.number().nullable(),
      max: z.number().nullable(),
      p50: z.number().nullable(),
      p95: z.number().nullable(),
      p99: z.number().nullable(),
    }),
  ),
});

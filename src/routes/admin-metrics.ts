import { Hono } from "hono";
import { z } from "zod";
import { clock } from "../lib/clock";
import { ApiError } from "../lib/errors";
import { MAX_SERIES_POINTS, metricNames, QUERY_BUCKETS, queryMetric } from "../lib/metrics/query";
import { validate } from "../lib/validation/validate";
import { requireScope } from "../middleware/auth";
import { rateLimit } from "../middleware/rate-limit";
import type { AppEnv } from "../env";
import { operationsOf } from "../openapi/describe";
import { metricNamesSchema, metricSeriesSchema } from "../openapi/schemas/metrics";

const TAG_PARAM = /^tag\.([A-Za-z0-9_.:-]{1,64})$/;
const MAX_TAG_FILTERS = 10;
const DEFAULT_RANGE_MS: Record<keyof typeof QUERY_BUCKETS, number> = {
  "1m": 3_600_000,
  "5m": 86_400_000,
  "1h": 7 * 86_400_000,
  "1d": 90 * 86_400_000,
};

const instant = z.iso.datetime({ offset: true }).transform((value) => Date.parse(value));

const describe = operationsOf("Admin: metrics");

/** `name`, `from`, `to`, `bucket`, and any number (up to 10) of `tag.<key>=<value>` filters. */
const metricQuery = z
  .object({
    name: z.string().trim().min(1).max(128),
    from: instant.optional(),
    to: instant.optional(),
    bucket: z.enum(Object.keys(QUERY_BUCKETS) as [keyof typeof QUERY_BUCKETS]).default("5m"),
  })
  .catchall(z.string().max(200))
  .superRefine((value, ctx) => {
    let tags = 0;
    for (const key of Object.keys(value)) {
      if (["name", "from", "to", "bucket"].includes(key)) continue;
      if (!TAG_PARAM.test(key)) ctx.addIssue({ code: "custom", path: [key], message: "Unknown parameter: use tag.<key>=<value>" });
      else tags++;
    }
    if (tags > MAX_TAG_FILTERS) ctx.addIssue({ code: "custom", path: ["tag"], message: `At most ${MAX_TAG_FILTERS} tag filters` });
  });

/** Metrics for operators: series per bucket with percentiles, and the list of names. */
export const adminMetricRoutes = new Hono<AppEnv>()
  .get(
    "/names",
    describe({ summary: "Names of the recorded metrics", responses: { 200: ["The names", metricNamesSchema] } }),
    rateLimit({ policy: "api" }),
    requireScope("admin:read"),
    async (c) => {
      return c.json({ data: await metricNames(c.var.d1) });
    },
  )

  .get(
    "/",
    describe({
      summary: "A metric's series over a period",
      description: "Filter by tag with `tag.<name>=<value>`.",
      responses: { 200: ["The series", metricSeriesSchema] },
    }),
    rateLimit({ policy: "api" }),
    requireScope("admin:read"),
    validate("query", metricQuery),
    async (c) => {
      const query = c.req.valid("query");
      const size = QUERY_BUCKETS[query.bucket];
      const to = query.to ?? clock.now();
      const from = query.from ?? to - DEFAULT_RANGE_MS[query.bucket];
      if (from >= to) throw ApiError.validation([{ path: "to", message: "`to` must be after `from`" }]);
      const points = Math.ceil((to - Math.floor(from / size) * size) / size);
      if (points > MAX_SERIES_POINTS) {
        throw ApiError.validation([
          {
            path: "bucket",
            message: `That range holds ${points} ${query.bucket} buckets; the most is ${MAX_SERIES_POINTS}. Use a coarser bucket or a shorter range.`,
          },
        ]);
      }
      const tags: Record<string, string> = {};
      for (const [key, value] of Object.entries(query)) {
        const match = TAG_PARAM.exec(key);
        if (match && typeof value === "string") tags[match[1]!] = value;
      }
      const series = await queryMetric(c.var.d1, { name: query.name, from, to, bucket: query.bucket, tags });
      c.header("Cache-Control", "no-store");
      return c.json({
        name: query.name,
        bucket: query.bucket,
        from: new Date(from).toISOString(),
        to: new Date(to).toISOString(),
        tags,
        series,
      });
    },
  );

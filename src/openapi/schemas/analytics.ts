import { z } from "zod";
import { isoDateTime, prefixedId } from "./primitives";

/** A test's analytics (src/lib/analytics/test-analytics.ts); score fields are null before the first scored attempt. */
export const testAnalyticsSchema = z
  .object({
    testId: prefixedId("test"),
    title: z.string(),
    attemptCount: z.number().int(),
    meanScore: z.number().nullable(),
    stdDevScore: z.number().nullable(),
    minScore: z.number().nullable(),
    maxScore: z.number().nullable(),
    distribution: z.object({
      unit: z.literal("percent of max score"),
      bucketWidth: z.number(),
      buckets: z.array(z.object({ from: z.number(), to: z.number(), count: z.number().int() })),
    }),
    questions: z.array(
      z.object({
        questionId: prefixedId("question"),
        section: z.string(),
        attempted: z.number().int(),
        correct: z.number().int(),
        correctRate: z.number().nullable(),
        avgTimeSeconds: z.number().nullable(),
      }),
    ),
    updatedAt: isoDateTime.nullable(),
  })
  .meta({ id: "TestAnalytics" });

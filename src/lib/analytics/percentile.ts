import { eq } from "drizzle-orm";
import type { Database } from "../../db";
import { testStats, type Attempt, type ScoreDistribution } from "../../db/schema";
import { bucketOf, scorePercentage } from "./distribution";

/**
 * The percentile rank of a score (as a percentage of the max score) within a test's distribution:
 * the share of attempts scoring below it, in percent, 0–100, one decimal. Attempts in the score's own
 * bucket count in proportion to how far into the bucket the score sits (linear interpolation), so the
 * top of the best bucket is 100 and the bottom of the lowest is 0. Null when nobody has a score yet.
 */
export function percentileRank(distribution: ScoreDistribution | null | undefined, percentage: number): number | null {
  if (!distribution || distribution.counts.length === 0) return null;
  const total = distribution.counts.reduce((sum, n) => sum + n, 0);
  if (total === 0) return null;
  const { bucketWidth, counts } = distribution;
  const clamped = Math.max(0, Math.min(100, percentage));
  const index = Math.min(counts.length - 1, bucketOf(clamped, bucketWidth));
  let below = 0;
  for (let i = 0; i < index; i++) below += counts[i]!;
  const bucketStart = index * bucketWidth;
  const bucketEnd = index === counts.length - 1 ? 100 : bucketStart + bucketWidth;
  const fraction = bucketEnd > bucketStart ? (clamped - bucketStart) / (bucketEnd - bucketStart) : 1;
  const rank = ((below + fraction * counts[index]!) / total) * 100;
  return Math.round(Math.max(0, Math.min(100, rank)) * 10) / 10;
}

/** The percentile of a scored attempt among every scored attempt of its test; null until it is scored. */
export async function attemptPercentile(
  db: Database,
  attempt: Pick<Attempt, "testId" | "status" | "score" | "maxScore">,
): Promise<number | null> {
  if (attempt.status !== "SCORED" || attempt.score === null || attempt.maxScore === null) return null;
  const stats = await db.select({ distribution: testStats.distribution }).from(testStats).where(eq(testStats.testId, attempt.testId)).get();
  return percentileRank(stats?.distribution, scorePercentage(attempt.score, attempt.maxScore));
}

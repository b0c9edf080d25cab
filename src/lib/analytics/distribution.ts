import type { ScoreDistribution } from "../../db/schema";

/** Scores are binned as a percentage of the max score in 5-point buckets: 20 buckets, the last includes 100. */
const DISTRIBUTION_BUCKET_WIDTH = 5;
const DISTRIBUTION_BUCKETS = 100 / DISTRIBUTION_BUCKET_WIDTH;

export function emptyDistribution(): ScoreDistribution {
  return { bucketWidth: DISTRIBUTION_BUCKET_WIDTH, counts: new Array<number>(DISTRIBUTION_BUCKETS).fill(0) };
}

/** The score as a percentage of the max score, clamped to 0–100 (negative totals count as 0). */
export function scorePercentage(score: number, maxScore: number): number {
  if (!(maxScore > 0)) return 0;
  return Math.max(0, Math.min(100, (score / maxScore) * 100));
}

export function bucketOf(percentage: number, bucketWidth = DISTRIBUTION_BUCKET_WIDTH): number {
  const buckets = Math.round(100 / bucketWidth);
  return Math.min(buckets - 1, Math.max(0, Math.floor(percentage / bucketWidth)));
}

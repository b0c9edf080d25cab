import { asc, eq } from "drizzle-orm";
import type { Database } from "../../db";
import { questionStats, testSectionQuestions, testSections, testStats } from "../../db/schema";
import { isoOrNull } from "../clock";
import { emptyDistribution } from "./distribution";

const round = (n: number, places = 2) => Math.round(n * 10 ** places) / 10 ** places;

/** Aggregates of a test's scored attempts, and per question the statistics of every attempt at it. */
export async function testAnalytics(db: Database, test: { id: string; title: string; durationMinutes: number }) {
  const [statsRows, questionRows] = await db.batch([
    db.select().from(testStats).where(eq(testStats.testId, test.id)),
    db
      .select({
        questionId: testSectionQuestions.questionId,
        section: testSections.title,
        attempted: questionStats.attempted,
        correct: questionStats.correct,
        totalTimeSeconds: questionStats.totalTimeSeconds,
      })
      .from(testSectionQuestions)
      .innerJoin(testSections, eq(testSections.id, testSectionQuestions.sectionId))
      .leftJoin(questionStats, eq(questionStats.questionId, testSectionQuestions.questionId))
      .where(eq(testSections.testId, test.id))
      .orderBy(asc(testSections.position), asc(testSectionQuestions.position)),
  ]);
  const stats = statsRows[0];
  const count = stats?.attemptCount ?? 0;
  const mean = count > 0 ? stats!.scoreSum / count : null;
  const variance = count > 0 ? Math.max(0, stats!.scoreSumSquares / count - mean! ** 2) : null;
  const distribution = stats?.distribution ?? emptyDistribution();
  return {
    testId: test.id,
    title: test.title,
    attemptCount: count,
    meanScore: mean === null ? null : round(mean),
    stdDevScore: variance === null ? null : round(Math.sqrt(variance)),
    minScore: stats?.minScore ?? null,
    maxScore: stats?.maxScore ?? null,
    distribution: {
      unit: "percent of max score",
      bucketWidth: distribution.bucketWidth,
      buckets: distribution.counts.map((n, i) => ({
        from: i * distribution.bucketWidth,
        to: i === distribution.counts.length - 1 ? 100 : (i + 1) * distribution.bucketWidth,
        count: n,
      })),
    },
    questions: questionRows.map((q) => ({
      questionId: q.questionId,
      section: q.section,
      attempted: q.attempted ?? 0,
      correct: q.correct ?? 0,
      correctRate: q.attempted ? round(q.correct! / q.attempted, 4) : null,
      // Question statistics span every test holding the question; here none may show more than this test allows.
      avgTimeSeconds: q.attempted ? round(Math.min(q.totalTimeSeconds! / q.attempted, test.durationMinutes * 60), 1) : null,
    })),
    updatedAt: isoOrNull(stats?.updatedAt),
  };
}

import { and, asc, eq, isNull } from "drizzle-orm";
import { Hono } from "hono";
import { z } from "zod";
import { questionStats, testSectionQuestions, testSections, testStats, tests } from "../db/schema";
import type { AppEnv } from "../env";
import { emptyDistribution } from "../lib/analytics/distribution";
import { isoOrNull } from "../lib/clock";
import { ApiError } from "../lib/errors";
import { validate } from "../lib/validation/validate";
import { authOf, requireScope } from "../middleware/auth";
import { rateLimit } from "../middleware/rate-limit";

const testParam = z.object({ id: z.string().min(1).max(64) });

const round = (n: number, places = 2) => Math.round(n * 10 ** places) / 10 ** places;

/** Aggregates of a test's scored attempts, for its instructor and admins (404 to everyone else). */
export const analyticsRoutes = new Hono<AppEnv>()
  .use("/v1/tests/:id/analytics", rateLimit({ policy: "api" }))
  .get("/v1/tests/:id/analytics", requireScope("analytics:read"), validate("param", testParam), async (c) => {
    const auth = authOf(c);
    const db = c.var.db;
    const { id } = c.req.valid("param");
    const test = await db.select({ id: tests.id, authorId: tests.authorId, title: tests.title, durationMinutes: tests.durationMinutes }).from(tests).where(and(eq(tests.id, id), isNull(tests.deletedAt))).get();
    if (!test || (test.authorId !== auth.userId && auth.role !== "admin")) throw ApiError.notFound("test");

    const [statsRows, questionRows] = await db.batch([
      db.select().from(testStats).where(eq(testStats.testId, id)),
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
        .where(eq(testSections.testId, id))
        .orderBy(asc(testSections.position), asc(testSectionQuestions.position)),
    ]);
    const stats = statsRows[0];
    const count = stats?.attemptCount ?? 0;
    const mean = count > 0 ? stats!.scoreSum / count : null;
    const variance = count > 0 ? Math.max(0, stats!.scoreSumSquares / count - mean! ** 2) : null;
    const distribution = stats?.distribution ?? emptyDistribution();
    return c.json({
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
    });
  });

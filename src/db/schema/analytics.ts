import { integer, real, sqliteTable, text } from "drizzle-orm/sqlite-core";
import { questions } from "./questions";
import { tests } from "./tests";

/** Running counters, updated when an attempt is scored. */
export const questionStats = sqliteTable("question_stats", {
  questionId: text("question_id")
    .primaryKey()
    .references(() => questions.id, { onDelete: "cascade" }),
  attempted: integer("attempted").notNull().default(0),
  correct: integer("correct").notNull().default(0),
  totalTimeSeconds: integer("total_time_seconds").notNull().default(0),
  updatedAt: integer("updated_at").notNull(),
});

export type QuestionStat = typeof questionStats.$inferSelect;
export type NewQuestionStat = typeof questionStats.$inferInsert;

/**
 * Histogram of scores as a percentage of max score, clamped to 0–100:
 * `counts[i]` covers [i * bucketWidth, (i + 1) * bucketWidth), the last bucket includes 100.
 */
export type ScoreDistribution = { bucketWidth: number; counts: number[] };

/** Running aggregates; mean and standard deviation derive from the sums. */
export const testStats = sqliteTable("test_stats", {
  testId: text("test_id")
    .primaryKey()
    .references(() => tests.id, { onDelete: "cascade" }),
  attemptCount: integer("attempt_count").notNull().default(0),
  scoreSum: real("score_sum").notNull().default(0),
  scoreSumSquares: real("score_sum_squares").notNull().default(0),
  minScore: real("min_score"),
  maxScore: real("max_score"),
  distribution: text("distribution", { mode: "json" }).$type<ScoreDistribution>(),
  updatedAt: integer("updated_at").notNull(),
});

export type TestStat = typeof testStats.$inferSelect;
export type NewTestStat = typeof testStats.$inferInsert;

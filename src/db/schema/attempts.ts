import { index, integer, primaryKey, real, sqliteTable, text } from "drizzle-orm/sqlite-core";
import { questions } from "./questions";
import { tests } from "./tests";
import { users } from "./users";

export const ATTEMPT_STATUSES = ["IN_PROGRESS", "SUBMITTED", "SCORED"] as const;
export type AttemptStatus = (typeof ATTEMPT_STATUSES)[number];

export type AttemptSectionResult = {
  title: string;
  score: number;
  maxScore: number;
  correct: number;
  incorrect: number;
  unattempted: number;
  /** correct / (correct + incorrect), 0 when nothing was attempted. */
  accuracy: number;
};

export type AttemptResult = {
  score: number;
  maxScore: number;
  accuracy: number;
  /** True while subjective answers await manual grading. */
  provisional: boolean;
  timeTakenSeconds: number;
  sections: AttemptSectionResult[];
};

export const attempts = sqliteTable(
  "attempts",
  {
    id: text("id").primaryKey(), // att_
    /** Tests are soft-deleted; the cascade only fires when the author's account is deleted. */
    testId: text("test_id")
      .notNull()
      .references(() => tests.id, { onDelete: "cascade" }),
    userId: text("user_id")
      .notNull()
      .references(() => users.id, { onDelete: "cascade" }),
    status: text("status", { enum: ATTEMPT_STATUSES }).notNull().default("IN_PROGRESS"),
    startedAt: integer("started_at").notNull(),
    /** started_at + duration; the attempt.auto_submit job submits at this time. */
    deadlineAt: integer("deadline_at").notNull(),
    submittedAt: integer("submitted_at"),
    autoSubmitted: integer("auto_submitted", { mode: "boolean" }).notNull().default(false),
    scoredAt: integer("scored_at"),
    score: real("score"),
    maxScore: real("max_score"),
    provisional: integer("provisional", { mode: "boolean" }).notNull().default(false),
    result: text("result", { mode: "json" }).$type<AttemptResult>(),
    /** Plain id (no FK) so the attempt and its job can be written in either order. */
    scoringJobId: text("scoring_job_id"),
    createdAt: integer("created_at").notNull(),
    updatedAt: integer("updated_at").notNull(),
  },
  (t) => [
    index("attempts_user_id_created_at_idx").on(t.userId, t.createdAt),
    index("attempts_test_id_status_idx").on(t.testId, t.status),
    // A test's attempts in id order, a page at a time (exports, analytics): no sort of the whole test per page.
    index("attempts_test_id_id_idx").on(t.testId, t.id),
    index("attempts_status_deadline_at_idx").on(t.status, t.deadlineAt),
  ],
);

export type Attempt = typeof attempts.$inferSelect;
export type NewAttempt = typeof attempts.$inferInsert;

export const answers = sqliteTable(
  "answers",
  {
    attemptId: text("attempt_id")
      .notNull()
      .references(() => attempts.id, { onDelete: "cascade" }),
    questionId: text("question_id")
      .notNull()
      .references(() => questions.id, { onDelete: "cascade" }),
    /** Shape follows the question type (option index, indexes, number, text); null = cleared. */
    answer: text("answer", { mode: "json" }).$type<unknown>(),
    answeredAt: integer("answered_at"),
    timeSpentSeconds: integer("time_spent_seconds").notNull().default(0),
    /** Set by automatic scoring; null for subjective answers until graded. */
    marksAwarded: real("marks_awarded"),
    isCorrect: integer("is_correct", { mode: "boolean" }),
    /** Manual grading (subjective questions). */
    gradedMarks: real("graded_marks"),
    feedback: text("feedback"),
    gradedBy: text("graded_by"),
    gradedAt: integer("graded_at"),
    /** When the candidate asked for the question's hint (the scoring rules apply the test's penalty). */
    hintUsedAt: integer("hint_used_at"),
    /** An AI-suggested grade (SUBJECTIVE): advice to the grader until accepted through the grading route. */
    aiSuggestedMarks: real("ai_suggested_marks"),
    aiFeedback: text("ai_feedback"),
    aiModel: text("ai_model"),
    aiSuggestedAt: integer("ai_suggested_at"),
  },
  (t) => [primaryKey({ columns: [t.attemptId, t.questionId] }), index("answers_question_id_idx").on(t.questionId)],
);

export type Answer = typeof answers.$inferSelect;
export type NewAnswer = typeof answers.$inferInsert;

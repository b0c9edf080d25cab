import { and, eq } from "drizzle-orm";
import type { Database } from "../../db";
import { answers, type Attempt, type Test } from "../../db/schema";
import type { Env } from "../../env";
import { eventStatements } from "../events/emit";
import { rescoreStatements } from "./attempts";

export interface Grade {
  attempt: Pick<Attempt, "id" | "userId" | "testId">;
  test: Pick<Test, "id" | "authorId">;
  questionId: string;
  marks: number;
  feedback: string | null;
  /** The grader; for a suggestion a test accepts by itself, the test's author (whose setting accepted it). */
  gradedBy: string;
  now: number;
}

/**
 * A grade as one batch's statements, for the grading route and the AI evaluation job alike: the
 * answer's grade, the re-score (a new job only if none waits) and `attempt.graded`. The caller adds
 * its audit row and, after the batch, calls `send`.
 */
export function gradeStatements(db: Database, grade: Grade) {
  const rescore = rescoreStatements(db, grade.attempt);
  const graded = eventStatements(
    db,
    grade.gradedBy,
    {
      type: "attempt.graded",
      aggregateId: grade.attempt.id,
      ownerId: grade.test.authorId,
      data: {
        attemptId: grade.attempt.id,
        testId: grade.test.id,
        userId: grade.attempt.userId,
        questionId: grade.questionId,
        gradedMarks: grade.marks,
        gradedBy: grade.gradedBy,
      },
    },
    grade.now,
  );
  return {
    statements: [
      db
        .update(answers)
        .set({ gradedMarks: grade.marks, feedback: grade.feedback, gradedBy: grade.gradedBy, gradedAt: grade.now })
        .where(and(eq(answers.attemptId, grade.attempt.id), eq(answers.questionId, grade.questionId))),
      ...rescore.statements,
      ...graded.statements,
    ] as const,
    rescoreJobId: () => rescore.carrierId(),
    send: (env: Env) => Promise.all([rescore.send(env), graded.send(env)]),
  };
}

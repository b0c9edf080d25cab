import { and, eq, sql } from "drizzle-orm";
import { iso, isoOrNull } from "../clock";
import { eventStatements } from "../events/emit";
import { guardedInsert } from "../guarded-insert";
import { enqueueStatements, type PreparedJob } from "../queue";
import { presentQuestionForCandidate, presentSolution } from "./questions";
import type { LoadedSection } from "./tests";
import type { Database } from "../../db";
import type { Env } from "../../env";
import { attempts, auditLogs, type Answer, type Attempt, type NewAuditLog } from "../../db/schema";

/**
 * An attempt's scoring key: the idempotency key of its first scoring job (a retried submit can never
 * score twice) and the coalesce key of all of them (while one waits to start, a grade adds no job: the
 * waiting one reads that grade when it runs).
 */
const scoreJobKey = (attemptId: string) => `score:${attemptId}`;

/** The re-score a grade needs, for the grade's own db.batch: a new job only if none is waiting. */
export function rescoreStatements(db: Database, attempt: Pick<Attempt, "id" | "userId">): PreparedJob {
  return enqueueStatements(
    db,
    "attempt.score",
    { attemptId: attempt.id },
    { coalesceKey: scoreJobKey(attempt.id), ownerId: attempt.userId },
  );
}

/** True while the attempt accepts answers: in progress and before its deadline. */
export const acceptsAnswers = (attempt: Pick<Attempt, "status" | "deadlineAt">, now: number) =>
  attempt.status === "IN_PROGRESS" && now < attempt.deadlineAt;

/** The SQL form of "still in progress" that guards every transition out of IN_PROGRESS. */
export const stillInProgress = (attemptId: string) => and(eq(attempts.id, attemptId), eq(attempts.status, "IN_PROGRESS"));

/**
 * The statements that submit an attempt — audit row, `attempt.submitted` event, scoring job, status
 * change — for one db.batch. The audit and event inserts are guarded by the same condition as the
 * UPDATE and run before it, and the job insert is idempotent by key, so of two concurrent submits
 * exactly one makes the transition and writes the audit row and event; the other changes nothing.
 * Check `transitioned(results)` after the batch, then `send(env)`.
 */
export function submitStatements(
  db: Database,
  attempt: Pick<Attempt, "id" | "userId" | "testId">,
  testAuthorId: string,
  audit: NewAuditLog,
  now: number,
  auto: boolean,
) {
  const key = scoreJobKey(attempt.id);
  const job: PreparedJob = enqueueStatements(
    db,
    "attempt.score",
    { attemptId: attempt.id },
    { idempotencyKey: key, coalesceKey: key, ownerId: attempt.userId },
  );
  const inProgress = sql`exists (select 1 from ${attempts} where ${stillInProgress(attempt.id)})`;
  const submitted = eventStatements(
    db,
    auto ? null : attempt.userId,
    {
      type: "attempt.submitted",
      aggregateId: attempt.id,
      ownerId: testAuthorId,
      data: { attemptId: attempt.id, testId: attempt.testId, userId: attempt.userId, submittedAt: iso(now), autoSubmitted: auto },
      when: inProgress,
    },
    now,
  );
  const statements = [
    guardedInsert(db, auditLogs, audit, inProgress),
    ...submitted.statements,
    ...job.statements,
    db
      .update(attempts)
      .set({ status: "SUBMITTED", submittedAt: now, autoSubmitted: auto, scoringJobId: job.job.id, updatedAt: now })
      .where(stillInProgress(attempt.id)),
  ] as const;
  return {
    statements,
    job,
    transitioned: (results: readonly unknown[]) => changesOf(results.at(-1)) === 1,
    /** Sends the scoring job's and the event's messages; call once the batch committed. */
    send: (env: Env) => Promise.all([job.send(env), submitted.send(env)]),
  };
}

/** Rows a batched write changed (D1 reports it per statement in `meta.changes`). */
export function changesOf(result: unknown): number {
  return (result as { meta?: { changes?: number } } | undefined)?.meta?.changes ?? 0;
}

export function presentAttemptSummary(attempt: Attempt, testTitle?: string) {
  return {
    id: attempt.id,
    testId: attempt.testId,
    ...(testTitle !== undefined ? { testTitle } : {}),
    userId: attempt.userId,
    status: attempt.status,
    startedAt: iso(attempt.startedAt),
    deadlineAt: iso(attempt.deadlineAt),
    submittedAt: isoOrNull(attempt.submittedAt),
    autoSubmitted: attempt.autoSubmitted,
    scoredAt: isoOrNull(attempt.scoredAt),
    score: attempt.status === "SCORED" ? attempt.score : null,
    maxScore: attempt.status === "SCORED" ? attempt.maxScore : null,
    provisional: attempt.status === "SCORED" ? attempt.provisional : null,
  };
}

/**
 * The attempt with its questions and answers. Until the attempt is scored its taker sees no answer
 * key, explanation, marks awarded or grader feedback; once scored, each question carries its
 * solution and each answer its verdict. The test's manager (author, admin) sees them throughout, and
 * the rubric too, to grade by.
 */
export function presentAttempt(attempt: Attempt, sections: LoadedSection[], answerRows: Answer[], viewer: "taker" | "manager") {
  const scored = attempt.status === "SCORED" || viewer === "manager";
  const answersByQuestion = new Map(answerRows.map((row) => [row.questionId, row]));
  return {
    ...presentAttemptSummary(attempt),
    result: attempt.status === "SCORED" ? attempt.result : null,
    sections: sections.map(({ section, questions }) => ({
      id: section.id,
      title: section.title,
      questions: questions.map((question) => {
        const answer = answersByQuestion.get(question.id);
        return {
          ...presentQuestionForCandidate(question, section),
          response: answer
            ? {
                answer: answer.answer ?? null,
                answeredAt: isoOrNull(answer.answeredAt),
                timeSpentSeconds: answer.timeSpentSeconds,
                ...(scored
                  ? {
                      marksAwarded: answer.marksAwarded,
                      isCorrect: answer.isCorrect,
                      gradedMarks: answer.gradedMarks,
                      feedback: answer.feedback,
                    }
                  : {}),
              }
            : null,
          ...(scored ? { solution: presentSolution(question, viewer === "manager") } : {}),
        };
      }),
    })),
  };
}

import { and, asc, eq, sql } from "drizzle-orm";
import type { Database } from "../src/db";
import type { Env } from "../src/env";
import {
  answers,
  attempts,
  questions,
  testSectionQuestions,
  testSections,
  tests,
  type Attempt,
  type AttemptResult,
} from "../src/db/schema";
import { clock } from "../src/lib/clock";
import { allowedSeconds, boundedTimes } from "../src/lib/exam/time-spent";
import { asD1Statement, eventStatements } from "../src/lib/events/emit";
import {
  addQuestionStats,
  addTestStats,
  adjustQuestionCorrect,
  firstScoringGuard,
  replaceTestScore,
  rescoreGuard,
  type StatsGuard,
} from "../src/lib/analytics/score-stats";
import { cache, invalidationStatementD1 } from "../src/lib/cache";
import { analyticsOfTestsSharingQuestions, analyticsTag } from "../src/lib/exam/cache-keys";
import { scoreAttempt, type ScorableSection, type ScoringOutput, type SubmittedAnswer } from "../src/lib/scoring";
import type { JobPayload } from "../src/lib/queue/job-types";
import { JobConflictError, PermanentJobError, type JobHandler } from "./job-handler";

interface ScoringData {
  attempt: Attempt;
  msqScoring: "all_or_nothing" | "partial";
  hintPenalty: number;
  testAuthorId: string;
  sections: ScorableSection[];
  answers: Map<string, SubmittedAnswer & { marksAwarded: number | null; isCorrect: boolean | null }>;
}

/** Everything scoring needs, in one D1 round trip. */
async function loadScoringData(db: Database, attemptId: string): Promise<ScoringData> {
  const [attemptRows, testRows, sectionRows, questionRows, answerRows] = await db.batch([
    db.select().from(attempts).where(eq(attempts.id, attemptId)),
    db
      .select({ msqScoring: tests.msqScoring, hintPenalty: tests.hintPenalty, authorId: tests.authorId })
      .from(tests)
      .innerJoin(attempts, eq(attempts.testId, tests.id))
      .where(eq(attempts.id, attemptId)),
    db
      .select({
        id: testSections.id,
        title: testSections.title,
        marksPerQuestion: testSections.marksPerQuestion,
        negativeMarks: testSections.negativeMarks,
      })
      .from(testSections)
      .innerJoin(attempts, eq(attempts.testId, testSections.testId))
      .where(eq(attempts.id, attemptId))
      .orderBy(asc(testSections.position)),
    db
      .select({
        sectionId: testSectionQuestions.sectionId,
        id: questions.id,
        type: questions.type,
        answerKey: questions.answerKey,
        options: questions.options,
        marks: questions.marks,
        negativeMarks: questions.negativeMarks,
      })
      .from(testSectionQuestions)
      .innerJoin(testSections, eq(testSections.id, testSectionQuestions.sectionId))
      .innerJoin(attempts, eq(attempts.testId, testSections.testId))
      .innerJoin(questions, eq(questions.id, testSectionQuestions.questionId))
      .where(eq(attempts.id, attemptId))
      .orderBy(asc(testSections.position), asc(testSectionQuestions.position)),
    db
      .select({
        questionId: answers.questionId,
        answer: answers.answer,
        timeSpentSeconds: answers.timeSpentSeconds,
        gradedMarks: answers.gradedMarks,
        hintUsedAt: answers.hintUsedAt,
        marksAwarded: answers.marksAwarded,
        isCorrect: answers.isCorrect,
      })
      .from(answers)
      .where(eq(answers.attemptId, attemptId)),
  ]);
  const attempt = attemptRows[0];
  const test = testRows[0];
  if (!attempt || !test) throw new PermanentJobError(`Attempt ${attemptId} not found`);
  const bySection = new Map(
    sectionRows.map((s) => [
      s.id,
      {
        title: s.title,
        marksPerQuestion: s.marksPerQuestion,
        negativeMarks: s.negativeMarks,
        questions: [] as ScorableSection["questions"][number][],
      },
    ]),
  );
  for (const q of questionRows) bySection.get(q.sectionId)?.questions.push(q);
  return {
    attempt,
    msqScoring: test.msqScoring,
    hintPenalty: test.hintPenalty,
    testAuthorId: test.authorId,
    sections: [...bySection.values()],
    answers: new Map(answerRows.map(({ hintUsedAt, ...a }) => [a.questionId, { ...a, hintUsed: hintUsedAt !== null }])),
  };
}

function timeTakenSeconds(attempt: Attempt, now: number): number {
  const end = Math.min(attempt.submittedAt ?? now, attempt.deadlineAt);
  return Math.max(0, (end - attempt.startedAt) / 1000);
}

/** Marks and correctness per answer row, as one UPDATE … FROM json_each over the whole attempt. */
function storeAnswerMarks(d1: D1Database, guard: StatsGuard, output: ScoringOutput) {
  const marks = Object.fromEntries(output.questions.map((q) => [q.questionId, { m: q.marksAwarded, c: q.isCorrect }]));
  return d1
    .prepare(
      `UPDATE answers SET marks_awarded = json_extract(j.value, '$.m'), is_correct = json_extract(j.value, '$.c')
       FROM json_each(?3) AS j
       WHERE answers.attempt_id = ?1 AND answers.question_id = j.key AND ${guard.sql}`,
    )
    .bind(guard.params[0], guard.params[1] ?? null, JSON.stringify(marks));
}

function storeAttemptResult(d1: D1Database, guard: StatsGuard, result: AttemptResult, scoredAt: number) {
  const condition = guard.params.length === 2 ? "status = 'SCORED' AND scored_at = ?2" : "status = 'SUBMITTED' AND ?2 IS NULL";
  return d1
    .prepare(
      `UPDATE attempts SET status = 'SCORED', score = ?3, max_score = ?4, provisional = ?5, result = ?6,
         scored_at = ?7, updated_at = ?7
       WHERE id = ?1 AND ${condition} RETURNING id`,
    )
    .bind(
      guard.params[0],
      guard.params[1] ?? null,
      result.score,
      result.maxScore,
      result.provisional ? 1 : 0,
      JSON.stringify(result),
      scoredAt,
    );
}

/** `attempt.scored`, under the same transition guard as the rest of the batch (as Drizzle SQL: the guard's twin). */
function scoredEvent(db: Database, first: boolean, attempt: Attempt, testAuthorId: string, result: AttemptResult, now: number) {
  const when = first
    ? sql`exists (select 1 from ${attempts} where ${and(eq(attempts.id, attempt.id), eq(attempts.status, "SUBMITTED"))})`
    : sql`exists (select 1 from ${attempts} where ${and(eq(attempts.id, attempt.id), eq(attempts.status, "SCORED"), eq(attempts.scoredAt, attempt.scoredAt ?? 0))})`;
  return eventStatements(
    db,
    null,
    {
      type: "attempt.scored",
      aggregateId: attempt.id,
      ownerId: testAuthorId,
      data: {
        attemptId: attempt.id,
        testId: attempt.testId,
        userId: attempt.userId,
        score: result.score,
        maxScore: result.maxScore,
        provisional: result.provisional,
        rescored: !first,
      },
      when,
    },
    now,
  );
}

interface ScoringJobResult {
  attemptId: string;
  score: number;
  maxScore: number;
  provisional: boolean;
  /** "scored" the first time, "rescored" after grading, "already_scored" when the stored result already is this one. */
  outcome: "scored" | "rescored" | "already_scored";
}

/** Times a run re-reads the attempt after another run wrote first, before leaving it to the queue's retry. */
const MAX_SCORING_ROUNDS = 5;

/** Whether the attempt's stored result and answer marks already are what this scoring computed. */
function alreadyStored(data: ScoringData, output: ScoringOutput): boolean {
  if (JSON.stringify(data.attempt.result) !== JSON.stringify(output.result)) return false;
  return output.questions.every((q) => {
    const stored = data.answers.get(q.questionId);
    return !stored || (stored.marksAwarded === q.marksAwarded && stored.isCorrect === q.isCorrect);
  });
}

/**
 * One read–compute–write of an attempt's score; null when another run wrote between the read and the
 * write (the guard no longer matched). First scoring (SUBMITTED → SCORED) stores the result, marks
 * every answer, adds the attempt to question/test statistics and emits `attempt.scored`, all in one D1
 * batch whose every statement is guarded by the transition, so it counts once however often it runs.
 * Scoring a SCORED attempt again (after grading) replaces its result and shifts the statistics by the
 * difference, guarded by the previous `scored_at` (which every write moves forward), so two concurrent
 * re-scores cannot both apply; one whose result is already stored writes nothing.
 */
async function scoreOnce(env: Env, db: Database, attemptId: string): Promise<ScoringJobResult | null> {
  const data = await loadScoringData(db, attemptId);
  const { attempt } = data;
  if (attempt.status === "IN_PROGRESS") throw new PermanentJobError(`Attempt ${attempt.id} has not been submitted`);
  const now = clock.now();
  const output = scoreAttempt({
    msqScoring: data.msqScoring,
    hintPenalty: data.hintPenalty,
    sections: data.sections,
    answers: data.answers,
    timeTakenSeconds: timeTakenSeconds(attempt, now),
  });
  const { result } = output;
  const summary = { attemptId: attempt.id, score: result.score, maxScore: result.maxScore, provisional: result.provisional };
  const first = attempt.status === "SUBMITTED";
  if (!first && alreadyStored(data, output)) return { ...summary, outcome: "already_scored" };
  const guard = first ? firstScoringGuard(attempt.id) : rescoreGuard(attempt.id, attempt.scoredAt ?? 0);
  const scoredAt = first ? now : Math.max(now, (attempt.scoredAt ?? 0) + 1);
  const d1 = env.DB;

  const scored = scoredEvent(db, first, attempt, data.testAuthorId, result, now);
  const statements: D1PreparedStatement[] = [
    storeAnswerMarks(d1, guard, output),
    ...scored.statements.map((statement) => asD1Statement(d1, statement)),
  ];
  if (first) {
    const times = boundedTimes(
      output.questions.map((q) => data.answers.get(q.questionId)?.timeSpentSeconds ?? 0),
      allowedSeconds(attempt),
    );
    const deltas = output.questions.map((q, i) => ({
      questionId: q.questionId,
      attempted: q.outcome === "unattempted" ? 0 : 1,
      correct: q.isCorrect === true ? 1 : 0,
      timeSeconds: times[i]!,
    }));
    statements.push(addQuestionStats(d1, guard, deltas, now));
    statements.push(addTestStats(d1, guard, attempt.testId, result.score, result.maxScore, now));
  } else {
    const changed = output.questions
      .map((q) => ({
        questionId: q.questionId,
        correct: (q.isCorrect === true ? 1 : 0) - (data.answers.get(q.questionId)?.isCorrect === true ? 1 : 0),
      }))
      .filter((d) => d.correct !== 0);
    if (changed.length > 0) statements.push(adjustQuestionCorrect(d1, guard, changed, now));
    const previous = { score: attempt.score ?? 0, maxScore: attempt.maxScore ?? result.maxScore };
    statements.push(replaceTestScore(d1, guard, attempt.testId, previous, { score: result.score, maxScore: result.maxScore }, now));
  }
  statements.push(storeAttemptResult(d1, guard, result, scoredAt));

  // The statistics move for every test holding these questions: their cached analytics go stale with the same commit.
  const invalidation = invalidationStatementD1(d1, db, [analyticsTag(attempt.testId)], analyticsOfTestsSharingQuestions(attempt.testId));
  const [bumped, ...results] = await d1.batch([invalidation, ...statements]);
  cache.tagsInvalidated((bumped?.results ?? []) as { tag: string }[]);
  const applied = (results.at(-1)?.results?.length ?? 0) > 0;
  if (!applied) return null;
  await scored.send(env);
  return { ...summary, outcome: first ? "scored" : "rescored" };
}

/**
 * The `attempt.score` job. Concurrent runs for one attempt (a submit's job and re-scores after
 * grading) are expected: when another run wrote first, this one re-reads the attempt and scores it
 * again from what is now stored, quietly; only an attempt that keeps changing for every round is
 * handed back to the queue as a conflict.
 */
export const scoreAttemptJob: JobHandler<JobPayload<"attempt.score">> = async ({ env, db, payload }) => {
  for (let round = 1; ; round++) {
    const outcome = await scoreOnce(env, db, payload.attemptId);
    if (outcome) return outcome;
    if (round === MAX_SCORING_ROUNDS) throw new JobConflictError(`Attempt ${payload.attemptId} changed in each of ${round} scoring rounds`);
  }
};

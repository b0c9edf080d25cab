import { bucketOf, emptyDistribution, scorePercentage } from "./distribution";

/**
 * D1 statements that fold one scored attempt into question_stats and test_stats. Each is guarded
 * by `guard` (an SQL condition on the attempt row, bound to the attempt id as ?1 and, for re-scores,
 * the previous scored_at as ?2) and runs in the same batch as the attempt's own update, so the
 * counters move exactly once per transition however often the job runs.
 */
export interface QuestionStatDelta {
  questionId: string;
  attempted: number;
  correct: number;
  timeSeconds: number;
}

export interface StatsGuard {
  sql: string;
  params: [string] | [string, number];
}

const FIRST_SCORING_GUARD_SQL = "EXISTS (SELECT 1 FROM attempts WHERE id = ?1 AND status = 'SUBMITTED')";
const RESCORE_GUARD_SQL = "EXISTS (SELECT 1 FROM attempts WHERE id = ?1 AND status = 'SCORED' AND scored_at = ?2)";

export function firstScoringGuard(attemptId: string): StatsGuard {
  return { sql: FIRST_SCORING_GUARD_SQL, params: [attemptId] };
}

export function rescoreGuard(attemptId: string, previousScoredAt: number): StatsGuard {
  return { sql: RESCORE_GUARD_SQL, params: [attemptId, previousScoredAt] };
}

/** Guard params take ?1/?2; the statement's own params follow from ?3 upward. */
function bindAll(d1: D1Database, query: string, guard: StatsGuard, params: unknown[]) {
  const guardParams: unknown[] = guard.params.length === 2 ? [...guard.params] : [guard.params[0], null];
  return d1.prepare(query).bind(...guardParams, ...params);
}

/** Adds counts for a newly scored attempt (attempted/correct/time per question). */
export function addQuestionStats(d1: D1Database, guard: StatsGuard, deltas: QuestionStatDelta[], now: number) {
  const json = JSON.stringify(Object.fromEntries(deltas.map((d) => [d.questionId, { a: d.attempted, c: d.correct, t: d.timeSeconds }])));
  return bindAll(
    d1,
    `INSERT INTO question_stats (question_id, attempted, correct, total_time_seconds, updated_at)
     SELECT j.key, json_extract(j.value, '$.a'), json_extract(j.value, '$.c'), json_extract(j.value, '$.t'), ?4
     FROM json_each(?3) AS j WHERE ${guard.sql}
     ON CONFLICT(question_id) DO UPDATE SET
       attempted = question_stats.attempted + excluded.attempted,
       correct = question_stats.correct + excluded.correct,
       total_time_seconds = question_stats.total_time_seconds + excluded.total_time_seconds,
       updated_at = excluded.updated_at`,
    guard,
    [json, now],
  );
}

/** Moves only the correct counts when a re-score (after grading) changed which answers are right. */
export function adjustQuestionCorrect(d1: D1Database, guard: StatsGuard, deltas: { questionId: string; correct: number }[], now: number) {
  const json = JSON.stringify(Object.fromEntries(deltas.map((d) => [d.questionId, d.correct])));
  return bindAll(
    d1,
    `UPDATE question_stats SET correct = max(0, correct + j.value), updated_at = ?4
     FROM json_each(?3) AS j WHERE question_stats.question_id = j.key AND ${guard.sql}`,
    guard,
    [json, now],
  );
}

/** One more attempt in the test's aggregates: count, sums, min/max and its histogram bucket. */
export function addTestStats(d1: D1Database, guard: StatsGuard, testId: string, score: number, maxScore: number, now: number) {
  const bucket = bucketOf(scorePercentage(score, maxScore));
  const initial = emptyDistribution();
  initial.counts[bucket] = 1;
  const empty = JSON.stringify(emptyDistribution());
  const path = `$.counts[${bucket}]`;
  return bindAll(
    d1,
    `INSERT INTO test_stats (test_id, attempt_count, score_sum, score_sum_squares, min_score, max_score, distribution, updated_at)
     SELECT ?3, 1, ?4, ?4 * ?4, ?4, ?4, ?5, ?6 WHERE ${guard.sql}
     ON CONFLICT(test_id) DO UPDATE SET
       attempt_count = test_stats.attempt_count + 1,
       score_sum = test_stats.score_sum + excluded.score_sum,
       score_sum_squares = test_stats.score_sum_squares + excluded.score_sum_squares,
       min_score = min(coalesce(test_stats.min_score, excluded.min_score), excluded.min_score),
       max_score = max(coalesce(test_stats.max_score, excluded.max_score), excluded.max_score),
       distribution = json_set(coalesce(test_stats.distribution, ?7), ?8,
         coalesce(json_extract(coalesce(test_stats.distribution, ?7), ?8), 0) + 1),
       updated_at = excluded.updated_at`,
    guard,
    [testId, score, JSON.stringify(initial), now, empty, path],
  );
}

/**
 * A re-scored attempt replaces its old score: sums shift by the difference and one count moves
 * between buckets. Min/max only widen (an exact min/max after a change would need every score).
 */
export function replaceTestScore(
  d1: D1Database,
  guard: StatsGuard,
  testId: string,
  previous: { score: number; maxScore: number },
  next: { score: number; maxScore: number },
  now: number,
) {
  const from = `$.counts[${bucketOf(scorePercentage(previous.score, previous.maxScore))}]`;
  const to = `$.counts[${bucketOf(scorePercentage(next.score, next.maxScore))}]`;
  return bindAll(
    d1,
    `UPDATE test_stats SET
       score_sum = score_sum + ?4 - ?5,
       score_sum_squares = score_sum_squares + ?4 * ?4 - ?5 * ?5,
       min_score = min(coalesce(min_score, ?4), ?4),
       max_score = max(coalesce(max_score, ?4), ?4),
       distribution = CASE WHEN distribution IS NULL THEN NULL ELSE json_set(
         json_set(distribution, ?6, max(0, coalesce(json_extract(distribution, ?6), 0) - 1)),
         ?7, coalesce(json_extract(json_set(distribution, ?6, max(0, coalesce(json_extract(distribution, ?6), 0) - 1)), ?7), 0) + 1) END,
       updated_at = ?8
     WHERE test_id = ?3 AND ${guard.sql}`,
    guard,
    [testId, next.score, previous.score, from, to, now],
  );
}

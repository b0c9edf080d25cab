import { env } from "cloudflare:workers";
import { beforeAll, describe, expect, it } from "vitest";
import { percentileRank } from "../../src/lib/analytics/percentile";
import { createUser, type TestUser } from "../helpers/auth";
import { call, sendJson } from "../helpers/http";
import { answer, createFullTest, get, json, startAttempt, submit } from "../exam/fixtures";
import { deliver, runScoringJob } from "../jobs/helpers";

let instructor: TestUser;
let student: TestUser;

beforeAll(async () => {
  instructor = await createUser({ role: "instructor" });
  student = await createUser();
});

/** A submitted attempt on a fresh test with one question of every type, answered as given. */
async function submittedAttempt(answers: (ids: Record<string, string>) => Record<string, unknown>, taker = student) {
  const { test, ids } = await createFullTest(instructor.headers);
  const attempt = await startAttempt(taker.headers, test.id);
  for (const [questionId, value] of Object.entries(answers(ids))) {
    const res = await answer(taker.headers, attempt.id, questionId, value);
    expect(res.status, await res.clone().text()).toBe(200);
  }
  const res = await submit(taker.headers, attempt.id);
  expect(res.status).toBe(202);
  const { scoringJobId } = await json<{ scoringJobId: string }>(res);
  return { test, ids, attempt, scoringJobId };
}

const row = <T>(query: string, ...params: unknown[]) =>
  env.DB.prepare(query)
    .bind(...params)
    .first<T>();

describe("the scoring worker", () => {
  it("scores a full attempt of every question type, provisional until the subjective answer is graded", async () => {
    const { test, ids, attempt, scoringJobId } = await submittedAttempt((q) => ({
      [q.MCQ!]: 1, // +4
      [q.MSQ!]: [0], // all-or-nothing, incomplete: −2
      [q.INTEGER!]: 6, // +3
      [q.RANGE!]: 9.95, // outside [9.7, 9.9]: −0.5
      [q.SUBJECTIVE!]: "Inertia is Newton's first law.",
    }));
    const job = await runScoringJob(scoringJobId);
    expect(job).toMatchObject({
      status: "COMPLETED",
      result: { attemptId: attempt.id, score: 4.5, maxScore: 19, provisional: true, outcome: "scored" },
    });

    const view = await json(await get(`/v1/attempts/${attempt.id}`, student.headers));
    expect(view.status).toBe("SCORED");
    expect(view.result).toEqual({
      score: 4.5,
      maxScore: 19,
      accuracy: 0.5,
      provisional: true,
      timeTakenSeconds: expect.any(Number),
      sections: [
        { title: "Section 1", score: 2, maxScore: 8, correct: 1, incorrect: 1, unattempted: 0, accuracy: 0.5 },
        { title: "Section 2", score: 2.5, maxScore: 11, correct: 1, incorrect: 1, unattempted: 0, accuracy: 0.5 },
      ],
    });
    expect(view.percentile).toEqual(expect.any(Number));
    const marks = await env.DB.prepare("SELECT question_id, marks_awarded, is_correct FROM answers WHERE attempt_id = ?")
      .bind(attempt.id)
      .all();
    const byQuestion = Object.fromEntries(marks.results.map((r) => [r.question_id, [r.marks_awarded, r.is_correct]]));
    expect(byQuestion).toEqual({
      [ids.MCQ]: [4, 1],
      [ids.MSQ]: [-2, 0],
      [ids.INTEGER]: [3, 1],
      [ids.RANGE]: [-0.5, 0],
      [ids.SUBJECTIVE]: [null, null],
    });
    expect(await row("SELECT attempt_count, score_sum FROM test_stats WHERE test_id = ?", test.id)).toEqual({
      attempt_count: 1,
      score_sum: 4.5,
    });
    expect(
      await row(
        "SELECT count(*) AS n FROM events WHERE type = 'attempt.scored' AND json_extract(payload, '$.rescored') = 0 AND aggregate_id = ?",
        attempt.id,
      ),
    ).toEqual({ n: 1 });

    // Grading re-scores: the result becomes final and the statistics shift instead of counting twice.
    const graded = await sendJson(
      `/v1/attempts/${attempt.id}/answers/${ids.SUBJECTIVE}/grade`,
      "PUT",
      { marks: 4, feedback: "Good" },
      instructor.headers,
    );
    expect(graded.status).toBe(200);
    const rescore = await runScoringJob((await json<{ scoringJobId: string }>(graded)).scoringJobId);
    expect(rescore.result).toMatchObject({ score: 8.5, provisional: false, outcome: "rescored" });
    const final = await json(await get(`/v1/attempts/${attempt.id}`, student.headers));
    expect(final.result).toMatchObject({ score: 8.5, provisional: false, accuracy: 0.6 });
    expect(final.result.sections[1]).toMatchObject({ score: 6.5, correct: 2, incorrect: 1, accuracy: 0.6667 });
    const stats = await row<{ attempt_count: number; score_sum: number; distribution: string }>(
      "SELECT * FROM test_stats WHERE test_id = ?",
      test.id,
    );
    expect(stats).toMatchObject({ attempt_count: 1, score_sum: 8.5 });
    const counts = JSON.parse(stats!.distribution).counts as number[];
    expect(counts.reduce((a, b) => a + b, 0)).toBe(1);
    expect(counts[8]).toBe(1); // 8.5 / 19 = 44.7 %
    expect(await row("SELECT attempted, correct FROM question_stats WHERE question_id = ?", ids.SUBJECTIVE)).toEqual({
      attempted: 1,
      correct: 1,
    });
    expect(
      await row(
        "SELECT count(*) AS n FROM events WHERE type = 'attempt.scored' AND json_extract(payload, '$.rescored') = 0 AND aggregate_id = ?",
        attempt.id,
      ),
    ).toEqual({ n: 1 });
    expect(
      await row(
        "SELECT count(*) AS n FROM events WHERE type = 'attempt.scored' AND json_extract(payload, '$.rescored') = 1 AND aggregate_id = ?",
        attempt.id,
      ),
    ).toEqual({ n: 1 });
  });

  it("counts unanswered questions as unattempted and keeps per-question statistics", async () => {
    const { test, ids, scoringJobId } = await submittedAttempt((q) => ({ [q.MCQ!]: 0 }));
    await runScoringJob(scoringJobId);
    expect(await row("SELECT attempted, correct FROM question_stats WHERE question_id = ?", ids.MCQ)).toEqual({ attempted: 1, correct: 0 });
    expect(await row("SELECT attempted FROM question_stats WHERE question_id = ?", ids.INTEGER)).toEqual({ attempted: 0 });
    const stats = await row<{ min_score: number; max_score: number }>(
      "SELECT min_score, max_score FROM test_stats WHERE test_id = ?",
      test.id,
    );
    expect(stats).toEqual({ min_score: -1, max_score: -1 });
  });

  it("no lost or duplicated result when the same attempt is submitted twice concurrently", async () => {
    const { test, ids } = await createFullTest(instructor.headers);
    const attempt = await startAttempt(student.headers, test.id);
    await answer(student.headers, attempt.id, ids.MCQ!, 1);
    const responses = await Promise.all([submit(student.headers, attempt.id), submit(student.headers, attempt.id)]);
    expect(responses.map((r) => r.status).sort()).toEqual([202, 409]);
    const jobs = await env.DB.prepare("SELECT id FROM jobs WHERE type = 'attempt.score' AND payload LIKE ?")
      .bind(`%${attempt.id}%`)
      .all<{ id: string }>();
    expect(jobs.results).toHaveLength(1);
    const jobId = jobs.results[0]!.id;

    // The same message delivered twice in one batch, then again later: one scoring.
    await deliver("scoring", [{ body: { jobId, type: "attempt.score" } }, { body: { jobId, type: "attempt.score" } }]);
    await runScoringJob(jobId);
    await deliver("scoring", [{ body: { jobId, type: "attempt.score" }, attempts: 2 }]);

    expect(await row("SELECT attempt_count, score_sum FROM test_stats WHERE test_id = ?", test.id)).toEqual({
      attempt_count: 1,
      score_sum: 4,
    });
    expect(await row("SELECT attempted, correct FROM question_stats WHERE question_id = ?", ids.MCQ)).toEqual({ attempted: 1, correct: 1 });
    expect(
      await row(
        "SELECT count(*) AS n FROM events WHERE type = 'attempt.scored' AND json_extract(payload, '$.rescored') = 0 AND aggregate_id = ?",
        attempt.id,
      ),
    ).toEqual({ n: 1 });
    expect(await row("SELECT status, score FROM attempts WHERE id = ?", attempt.id)).toEqual({ status: "SCORED", score: 4 });
  });

  it("two scoring jobs for one attempt running in the same batch count it once", async () => {
    const { test, attempt, scoringJobId } = await submittedAttempt((q) => ({ [q.INTEGER!]: 6 }));
    const extra = await env.DB.prepare("SELECT * FROM jobs WHERE id = ?").bind(scoringJobId).first<Record<string, unknown>>();
    const twinId = `${scoringJobId.slice(0, -1)}Z` === scoringJobId ? `${scoringJobId.slice(0, -1)}Y` : `${scoringJobId.slice(0, -1)}Z`;
    await env.DB.prepare(
      "INSERT INTO jobs (id, type, queue, status, payload, max_attempts, created_at, updated_at) VALUES (?, 'attempt.score', 'scoring', 'PENDING', ?, 3, ?, ?)",
    )
      .bind(twinId, extra!.payload, extra!.created_at, extra!.created_at)
      .run();
    await deliver("scoring", [
      { body: { jobId: scoringJobId, type: "attempt.score" } },
      { body: { jobId: twinId, type: "attempt.score" } },
    ]);
    await runScoringJob(scoringJobId);
    await runScoringJob(twinId);
    expect(await row("SELECT attempt_count, score_sum FROM test_stats WHERE test_id = ?", test.id)).toEqual({
      attempt_count: 1,
      score_sum: 3,
    });
    expect(
      await row(
        "SELECT count(*) AS n FROM events WHERE type = 'attempt.scored' AND json_extract(payload, '$.rescored') = 0 AND aggregate_id = ?",
        attempt.id,
      ),
    ).toEqual({ n: 1 });
  });

  it("fails a job for an attempt that does not exist, without retrying", async () => {
    const db = (await import("../../src/db")).createDb(env.DB);
    const { enqueueStatements } = await import("../../src/lib/queue");
    const prepared = enqueueStatements(db, "attempt.score", { attemptId: "att_01JD0000000000000000000009" });
    await db.batch(prepared.statements);
    const job = await runScoringJob(prepared.job.id);
    expect(job).toMatchObject({ status: "FAILED", attempts: 1 });
    expect(job.error).toContain("not found");
  });
});

describe("percentiles and analytics", () => {
  it("computes the percentile rank from a known distribution", () => {
    const counts = new Array(20).fill(0);
    counts[0] = 10; // 0–5 %
    counts[10] = 10; // 50–55 %
    counts[19] = 10; // 95–100 %
    const distribution = { bucketWidth: 5, counts };
    expect(percentileRank(distribution, 0)).toBe(0);
    expect(percentileRank(distribution, 5)).toBe(33.3);
    expect(percentileRank(distribution, 50)).toBe(33.3);
    expect(percentileRank(distribution, 52.5)).toBe(50);
    expect(percentileRank(distribution, 97.5)).toBe(83.3);
    expect(percentileRank(distribution, 100)).toBe(100);
    expect(percentileRank(distribution, 140)).toBe(100);
    expect(percentileRank({ bucketWidth: 5, counts: new Array(20).fill(0) }, 50)).toBeNull();
    expect(percentileRank(null, 50)).toBeNull();
  });

  it("ranks a stronger attempt above a weaker one on the same test", async () => {
    const other = await createUser();
    const { test, ids } = await createFullTest(instructor.headers);
    const run = async (taker: TestUser, answers: Record<string, unknown>) => {
      const attempt = await startAttempt(taker.headers, test.id);
      for (const [q, v] of Object.entries(answers)) await answer(taker.headers, attempt.id, q, v);
      const { scoringJobId } = await json<{ scoringJobId: string }>(await submit(taker.headers, attempt.id));
      await runScoringJob(scoringJobId);
      return attempt.id as string;
    };
    const strong = await run(student, { [ids.MCQ!]: 1, [ids.MSQ!]: [0, 2], [ids.INTEGER!]: 6 });
    const weak = await run(other, { [ids.MCQ!]: 0 });
    const strongView = await json(await get(`/v1/attempts/${strong}`, student.headers));
    const weakView = await json(await get(`/v1/attempts/${weak}`, other.headers));
    expect(strongView.percentile).toBeGreaterThan(weakView.percentile);
    expect(weakView.percentile).toBe(0); // a negative score clamps to 0 %: nobody is below it

    const analytics = await get(`/v1/tests/${test.id}/analytics`, instructor.headers);
    expect(analytics.status).toBe(200);
    const body = await json(analytics);
    expect(body).toMatchObject({ testId: test.id, attemptCount: 2, meanScore: 5, minScore: -1, maxScore: 11 });
    expect(body.distribution.buckets).toHaveLength(20);
    expect(body.distribution.buckets.reduce((n: number, b: { count: number }) => n + b.count, 0)).toBe(2);
    expect(body.questions.find((q: { questionId: string }) => q.questionId === ids.MCQ)).toMatchObject({
      attempted: 2,
      correct: 1,
      correctRate: 0.5,
    });
  });

  it("test analytics are 404 for other instructors and students", async () => {
    const otherInstructor = await createUser({ role: "instructor" });
    const { test } = await createFullTest(instructor.headers);
    expect((await get(`/v1/tests/${test.id}/analytics`, otherInstructor.headers)).status).toBe(404);
    expect((await get(`/v1/tests/${test.id}/analytics`, student.headers)).status).toBe(403);
    const admin = await createUser({ role: "admin" });
    expect((await get(`/v1/tests/${test.id}/analytics`, admin.headers)).status).toBe(200);
    expect((await call(`/v1/tests/tst_unknown/analytics`, { headers: instructor.headers })).status).toBe(404);
  });
});

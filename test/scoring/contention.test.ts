import { env } from "cloudflare:workers";
import { beforeAll, describe, expect, it } from "vitest";
import { createDb } from "../../src/db";
import { enqueueStatements } from "../../src/lib/queue";
import { createUser, type TestUser } from "../helpers/auth";
import { sendJson } from "../helpers/http";
import { answer, createQuestion, createTest, get, json, startAttempt, submit } from "../exam/fixtures";
import { deliver, runScoringJob, scoringJobsOf, settleScoring } from "../jobs/helpers";

/**
 * Grading one attempt from many requests at once: re-scores coalesce (at most one waits per attempt),
 * concurrent scoring runs re-read and retry quietly, and the stored result always equals a fresh
 * scoring of the final grades.
 */

let instructor: TestUser;
let admin: TestUser;

beforeAll(async () => {
  [instructor, admin] = await Promise.all([createUser({ role: "instructor" }), createUser({ role: "admin" })]);
});

const QUESTIONS = 10;
const MARKS = 5;

/** A submitted attempt of a test of subjective questions, every one answered. */
async function submittedAttempt() {
  const ids: string[] = [];
  for (let i = 0; i < QUESTIONS; i++)
    ids.push((await createQuestion(instructor.headers, "SUBJECTIVE", { marks: MARKS, body: `Explain law ${i}.` })).id);
  const test = await createTest(instructor.headers, [ids]);
  const taker = await createUser();
  const attempt = await startAttempt(taker.headers, test.id);
  for (const id of ids) expect((await answer(taker.headers, attempt.id, id, `My answer to ${id}`)).status).toBe(200);
  const submitted = await submit(taker.headers, attempt.id);
  expect(submitted.status).toBe(202);
  return { test, ids, attempt, taker, submitJobId: (await json(submitted)).scoringJobId as string };
}

const grade = (headers: Record<string, string>, attemptId: string, questionId: string, marks: number) =>
  sendJson(`/v1/attempts/${attemptId}/answers/${questionId}/grade`, "PUT", { marks }, headers);

/** Scoring jobs for the attempt outside any coalescing, each with its own message to be delivered by the test. */
async function extraScoringJobs(attemptId: string, count: number): Promise<string[]> {
  const db = createDb(env.DB);
  const ids: string[] = [];
  for (let i = 0; i < count; i++) {
    const prepared = enqueueStatements(db, "attempt.score", { attemptId });
    await db.batch(prepared.statements);
    ids.push(prepared.job.id);
  }
  return ids;
}

const row = <T>(query: string, ...params: unknown[]) =>
  env.DB.prepare(query)
    .bind(...params)
    .first<T>();

/**
 * What must hold once the queue is drained: every job completed on its first delivery with no error,
 * no error row names one, and the stored result, answer marks and statistics are those of the final
 * grades — which a brand-new scoring run confirms by finding nothing to change.
 */
async function expectSettledOnFinalGrades(testId: string, attemptId: string, ids: string[]) {
  const jobs = await settleScoring(attemptId);
  expect(jobs.map((job) => [job.status, job.attempts, job.error])).toEqual(jobs.map(() => ["COMPLETED", 1, null]));
  const errorRows = await env.DB.prepare(
    `SELECT count(*) AS n FROM error_logs WHERE body IN (SELECT json_object('jobId', id) FROM jobs WHERE json_extract(payload, '$.attemptId') = ?) OR message LIKE ?`,
  )
    .bind(attemptId, `%${attemptId}%`)
    .first<{ n: number }>();
  expect(errorRows).toEqual({ n: 0 });

  const answers = await env.DB.prepare("SELECT question_id, graded_marks, marks_awarded, is_correct FROM answers WHERE attempt_id = ?")
    .bind(attemptId)
    .all<{
      question_id: string;
      graded_marks: number;
      marks_awarded: number;
      is_correct: number;
    }>();
  expect(answers.results).toHaveLength(ids.length);
  const finalScore = answers.results.reduce((sum, a) => sum + a.graded_marks, 0);
  for (const a of answers.results) expect([a.marks_awarded, a.is_correct]).toEqual([a.graded_marks, a.graded_marks > 0 ? 1 : 0]);

  const view = await json(await get(`/v1/attempts/${attemptId}`, instructor.headers));
  expect(view).toMatchObject({ status: "SCORED", score: finalScore, maxScore: QUESTIONS * MARKS, provisional: false });
  const stats = await row<{ attempt_count: number; score_sum: number; distribution: string }>(
    "SELECT * FROM test_stats WHERE test_id = ?",
    testId,
  );
  expect(stats).toMatchObject({ attempt_count: 1, score_sum: finalScore });
  expect((JSON.parse(stats!.distribution).counts as number[]).reduce((a, b) => a + b, 0)).toBe(1);
  for (const a of answers.results) {
    expect(await row("SELECT attempted, correct FROM question_stats WHERE question_id = ?", a.question_id)).toEqual({
      attempted: 1,
      correct: a.graded_marks > 0 ? 1 : 0,
    });
  }

  const db = createDb(env.DB);
  const fresh = enqueueStatements(db, "attempt.score", { attemptId });
  await db.batch(fresh.statements);
  expect((await runScoringJob(fresh.job.id)).result).toMatchObject({ score: finalScore, outcome: "already_scored" });
}

describe("re-scores of one attempt coalesce", () => {
  it("grades made while scoring waits ride on the one waiting job, which then scores them all", async () => {
    const pause = await sendJson("/v1/admin/queues/scoring/pause", "POST", {}, admin.headers);
    expect(pause.status).toBe(200);
    try {
      const { test, ids, attempt, submitJobId } = await submittedAttempt();
      // Two graders on every question at once: twenty requests, no new job.
      const responses = await Promise.all(
        ids.flatMap((id, i) => [
          grade(instructor.headers, attempt.id, id, i % MARKS),
          grade(admin.headers, attempt.id, id, (i + 2) % MARKS),
        ]),
      );
      expect(responses.map((r) => r.status)).toEqual(responses.map(() => 200));
      const carriers = await Promise.all(responses.map(async (r) => (await json(r)).scoringJobId));
      expect(new Set(carriers)).toEqual(new Set([submitJobId]));
      expect((await scoringJobsOf(attempt.id)).map((job) => job.id)).toEqual([submitJobId]);

      expect((await sendJson("/v1/admin/queues/scoring/resume", "POST", {}, admin.headers)).status).toBe(200);
      await expectSettledOnFinalGrades(test.id, attempt.id, ids);
    } finally {
      await sendJson("/v1/admin/queues/scoring/resume", "POST", {}, admin.headers);
    }
  });
});

describe("concurrent grading and scoring of one attempt", () => {
  it("leaves no failed job and no error row, and the score of the final grades", async () => {
    const { test, ids, attempt } = await submittedAttempt();
    await settleScoring(attempt.id);
    // Waves of simultaneous grades (two graders per question), while every scoring job is delivered
    // again and again in parallel batches, so runs overlap and race for the same attempt.
    const deliveries: Promise<unknown>[] = [];
    for (let wave = 0; wave < 3; wave++) {
      const responses = await Promise.all(
        ids.flatMap((id, i) => [
          grade(instructor.headers, attempt.id, id, (i + wave) % (MARKS + 1)),
          grade(admin.headers, attempt.id, id, (i * wave + 1) % (MARKS + 1)),
        ]),
      );
      expect(responses.map((r) => r.status)).toEqual(responses.map(() => 200));
      const open = (await scoringJobsOf(attempt.id)).filter((job) => job.status !== "COMPLETED");
      // Runs already under way when grades land (a job claimed in another isolate): made certain here.
      const running = await extraScoringJobs(attempt.id, 3);
      const messages = [...open.map((job) => job.id), ...running].map((jobId) => ({ body: { jobId, type: "attempt.score" } }));
      for (let copy = 0; copy < 2; copy++) deliveries.push(deliver("scoring", messages));
    }
    await Promise.all(deliveries);
    // Coalescing bounds the jobs the grades made: at most one waiting at a time, so far fewer than the 60 grades.
    expect((await scoringJobsOf(attempt.id)).filter((job) => job.coalesceKey !== null).length).toBeLessThan(20);
    await expectSettledOnFinalGrades(test.id, attempt.id, ids);
  });

  it("runs that overlap on one attempt: one writes, the others re-read and find nothing left to do", async () => {
    const { test, ids, attempt, submitJobId } = await submittedAttempt();
    await settleScoring(attempt.id);
    expect((await Promise.all(ids.map((id) => grade(instructor.headers, attempt.id, id, 3)))).every((r) => r.status === 200)).toBe(true);
    await extraScoringJobs(attempt.id, 5);
    const runs = (await scoringJobsOf(attempt.id)).filter((job) => job.id !== submitJobId);
    await deliver(
      "scoring",
      runs.filter((job) => job.status !== "COMPLETED").map((job) => ({ body: { jobId: job.id, type: job.type } })),
    );
    await settleScoring(attempt.id);
    // Whichever ran first after the grades re-scored; every other run found the result already stored.
    const outcomes = (await scoringJobsOf(attempt.id))
      .filter((job) => job.id !== submitJobId)
      .map((job) => (job.result as { outcome: string }).outcome);
    expect(outcomes.filter((outcome) => outcome === "rescored")).toHaveLength(1);
    expect(outcomes.filter((outcome) => outcome === "already_scored")).toHaveLength(runs.length - 1);
    await expectSettledOnFinalGrades(test.id, attempt.id, ids);
  });

  it("a grade racing the first scoring is never lost", async () => {
    // The submit's job and a re-score run together; whichever scores first, the grade ends up counted.
    for (let round = 0; round < 3; round++) {
      const { test, ids, attempt, submitJobId } = await submittedAttempt();
      const [graded] = await Promise.all([
        grade(instructor.headers, attempt.id, ids[0]!, 4),
        deliver("scoring", [{ body: { jobId: submitJobId, type: "attempt.score" } }]),
      ]);
      expect(graded.status).toBe(200);
      await Promise.all(ids.slice(1).map((id) => grade(instructor.headers, attempt.id, id, 1)));
      await expectSettledOnFinalGrades(test.id, attempt.id, ids);
    }
  });
});

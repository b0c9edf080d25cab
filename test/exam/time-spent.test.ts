import { env } from "cloudflare:workers";
import { beforeAll, describe, expect, it } from "vitest";
import { createUser, type TestUser } from "../helpers/auth";
import { problemOf, sendJson } from "../helpers/http";
import { settleScoring } from "../jobs/helpers";
import { createCast, createQuestion, createTest, get, json, startAttempt, submit, type Cast } from "./fixtures";

/**
 * Time reported on answers is bounded by the attempt's duration, per answer and summed over the
 * attempt, and analytics never show more than the test allowed.
 */

let cast: Cast;

beforeAll(async () => {
  cast = await createCast();
});

/** A published test of `count` MCQs lasting `minutes`. */
async function mcqTest(count: number, minutes: number) {
  const ids: string[] = [];
  for (let i = 0; i < count; i++) ids.push((await createQuestion(cast.instructor.headers, "MCQ")).id);
  const test = await createTest(cast.instructor.headers, [ids], { durationMinutes: minutes });
  return { test, ids };
}

function report(taker: TestUser, attemptId: string, questionId: string, timeSpentSeconds: number) {
  return sendJson(`/v1/attempts/${attemptId}/answers/${questionId}`, "PUT", { answer: 1, timeSpentSeconds }, taker.headers);
}

async function storedTimes(attemptId: string): Promise<number[]> {
  const rows = await env.DB.prepare("SELECT time_spent_seconds AS t FROM answers WHERE attempt_id = ? ORDER BY question_id")
    .bind(attemptId)
    .all<{ t: number }>();
  return rows.results.map((row) => row.t);
}

const sum = (values: number[]) => values.reduce((a, b) => a + b, 0);

describe("time spent within the attempt's duration", () => {
  it("accumulates reports that fit, up to exactly the duration", async () => {
    const { test, ids } = await mcqTest(2, 1);
    const taker = await createUser();
    const attempt = await startAttempt(taker.headers, test.id);
    expect(await json(await report(taker, attempt.id, ids[0]!, 20))).toMatchObject({ timeSpentSeconds: 20 });
    expect(await json(await report(taker, attempt.id, ids[0]!, 10))).toMatchObject({ timeSpentSeconds: 30 });
    expect(await json(await report(taker, attempt.id, ids[1]!, 30))).toMatchObject({ timeSpentSeconds: 30 });
    expect(sum(await storedTimes(attempt.id))).toBe(60);
  });

  it("refuses one report longer than the whole attempt, storing nothing", async () => {
    const { test, ids } = await mcqTest(1, 1);
    const taker = await createUser();
    const attempt = await startAttempt(taker.headers, test.id);
    const res = await report(taker, attempt.id, ids[0]!, 61);
    expect(res.status).toBe(400);
    const problem = await problemOf(res);
    expect(problem.code).toBe("validation_failed");
    expect(problem.errors).toEqual([{ path: "timeSpentSeconds", message: "At most 60 seconds, the attempt's duration" }]);
    for (const bad of [-1, 1.5, 24 * 3600 + 1, "10"]) {
      expect((await report(taker, attempt.id, ids[0]!, bad as number)).status, String(bad)).toBe(400);
    }
    expect(await storedTimes(attempt.id)).toEqual([]);
  });

  it("cuts reports that would pass the duration: per answer, then over the attempt", async () => {
    const { test, ids } = await mcqTest(3, 1);
    const taker = await createUser();
    const attempt = await startAttempt(taker.headers, test.id);
    expect(await json(await report(taker, attempt.id, ids[0]!, 45))).toMatchObject({ timeSpentSeconds: 45 });
    expect(await json(await report(taker, attempt.id, ids[0]!, 45))).toMatchObject({ timeSpentSeconds: 60 });
    // The attempt's minute is used up: later answers still save, with no more time.
    const next = await report(taker, attempt.id, ids[1]!, 30);
    expect(next.status).toBe(200);
    expect(await json(next)).toMatchObject({ answer: 1, timeSpentSeconds: 0 });
    expect(sum(await storedTimes(attempt.id))).toBe(60);
  });

  it("keeps the bound when reports race: concurrent answers never sum past the duration", async () => {
    const { test, ids } = await mcqTest(8, 2);
    const taker = await createUser();
    const attempt = await startAttempt(taker.headers, test.id);
    // Every question at once, each claiming 50 s, and a second report on each of the first four.
    const responses = await Promise.all([...ids, ...ids.slice(0, 4)].map((id) => report(taker, attempt.id, id, 50)));
    expect(responses.map((r) => r.status)).toEqual(responses.map(() => 200));
    const times = await storedTimes(attempt.id);
    expect(times).toHaveLength(8);
    expect(sum(times)).toBe(120);
    for (const t of times) expect(t).toBeLessThanOrEqual(120);
  });
});

describe("analytics never show more time than the test allowed", () => {
  it("adds only bounded time to question statistics, even for rows stored before the bound", async () => {
    const { test, ids } = await mcqTest(3, 1);
    const taker = await createUser();
    const attempt = await startAttempt(taker.headers, test.id);
    for (const id of ids) expect((await report(taker, attempt.id, id, 10)).status).toBe(200);
    // Rows written before the bound existed could hold anything.
    await env.DB.prepare("UPDATE answers SET time_spent_seconds = 5000 WHERE attempt_id = ?").bind(attempt.id).run();
    expect((await submit(taker.headers, attempt.id)).status).toBe(202);
    const jobs = await settleScoring(attempt.id);
    expect(jobs.map((job) => job.status)).toEqual(["COMPLETED"]);

    const stats = await env.DB.prepare(
      `SELECT sum(total_time_seconds) AS total, max(total_time_seconds) AS most FROM question_stats WHERE question_id IN (?, ?, ?)`,
    )
      .bind(...ids)
      .first<{ total: number; most: number }>();
    expect(stats).toEqual({ total: 60, most: 60 });
    const analytics = await json(await get(`/v1/tests/${test.id}/analytics`, cast.instructor.headers));
    const avg = analytics.questions.map((q: { avgTimeSeconds: number }) => q.avgTimeSeconds);
    expect(sum(avg)).toBe(60);
    for (const seconds of avg) expect(seconds).toBeLessThanOrEqual(60);
  });

  it("caps a shared question's average time at this test's duration", async () => {
    const shared = (await createQuestion(cast.instructor.headers, "MCQ")).id;
    const long = await createTest(cast.instructor.headers, [[shared]], { durationMinutes: 30 });
    const short = await createTest(cast.instructor.headers, [[shared]], { durationMinutes: 1 });
    const taker = await createUser();
    const attempt = await startAttempt(taker.headers, long.id);
    expect((await report(taker, attempt.id, shared, 1500)).status).toBe(200);
    await submit(taker.headers, attempt.id);
    await settleScoring(attempt.id);

    const inLong = await json(await get(`/v1/tests/${long.id}/analytics`, cast.instructor.headers));
    expect(inLong.questions[0].avgTimeSeconds).toBe(1500);
    const inShort = await json(await get(`/v1/tests/${short.id}/analytics`, cast.instructor.headers));
    expect(inShort.questions[0].avgTimeSeconds).toBe(60);
  });
});

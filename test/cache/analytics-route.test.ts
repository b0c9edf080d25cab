import { env } from "cloudflare:workers";
import { beforeAll, describe, expect, it, vi } from "vitest";
import { cache } from "../../src/lib/cache";
import { sendJson } from "../helpers/http";
import { answer, createCast, createQuestion, createTest, get, json, startAttempt, submit, type Cast } from "../exam/fixtures";
import { deliver } from "../jobs/helpers";
import { expectSameResponse } from "./support";

let cast: Cast;

beforeAll(async () => {
  cast = await createCast();
});

const analytics = async (testId: string) => json(await get(`/v1/tests/${testId}/analytics`, cast.instructor.headers));

/** A student answers the test's one question correctly and submits; the scoring job runs through the real consumer. */
async function scoredAttempt(testId: string, questionId: string) {
  const attempt = await startAttempt(cast.student.headers, testId);
  expect((await answer(cast.student.headers, attempt.id, questionId, 1)).status).toBe(200);
  const { scoringJobId } = await json<{ scoringJobId: string }>(await submit(cast.student.headers, attempt.id));
  await deliver("scoring", [{ body: { jobId: scoringJobId, type: "attempt.score" } }]);
  await vi.waitUntil(async () => {
    const job = await env.DB.prepare("SELECT status FROM jobs WHERE id = ?").bind(scoringJobId).first<{ status: string }>();
    return job?.status === "COMPLETED";
  });
}

describe("test analytics through the cache", () => {
  it("answers a hit exactly as the miss before it", async () => {
    const question = await createQuestion(cast.instructor.headers);
    const test = await createTest(cast.instructor.headers, [[question.id]]);
    const miss = await get(`/v1/tests/${test.id}/analytics`, cast.instructor.headers);
    const hitsBefore = cache.stats().memoryHits;
    const hit = await get(`/v1/tests/${test.id}/analytics`, cast.instructor.headers);
    expect(cache.stats().memoryHits).toBeGreaterThan(hitsBefore);
    await expectSameResponse(miss, hit);
  });

  it("shows a scored attempt at once, in this test's analytics and in every test sharing its question", async () => {
    const question = await createQuestion(cast.instructor.headers, "MCQ");
    const taken = await createTest(cast.instructor.headers, [[question.id]], { title: "Taken" });
    const sibling = await createTest(cast.instructor.headers, [[question.id]], { title: "Sibling" });
    expect(await analytics(taken.id)).toMatchObject({ attemptCount: 0, questions: [{ attempted: 0 }] });
    expect(await analytics(sibling.id)).toMatchObject({ attemptCount: 0, questions: [{ attempted: 0 }] });

    await scoredAttempt(taken.id, question.id);
    expect(await analytics(taken.id)).toMatchObject({
      attemptCount: 1,
      questions: [{ questionId: question.id, attempted: 1, correct: 1 }],
    });
    // The sibling has no attempts of its own, but its question's statistics moved.
    expect(await analytics(sibling.id)).toMatchObject({
      attemptCount: 0,
      questions: [{ questionId: question.id, attempted: 1, correct: 1 }],
    });
  });

  it("shows a renamed test at once", async () => {
    const question = await createQuestion(cast.instructor.headers);
    const test = await createTest(cast.instructor.headers, [[question.id]], { title: "Before" });
    expect(await analytics(test.id)).toMatchObject({ title: "Before" });
    expect((await sendJson(`/v1/tests/${test.id}`, "PATCH", { title: "After" }, cast.instructor.headers)).status).toBe(200);
    expect(await analytics(test.id)).toMatchObject({ title: "After" });
  });
});

import { eq } from "drizzle-orm";
import { describe, expect, it } from "vitest";
import { attempts, questions } from "../../src/db/schema";
import { scoreAttempt, type SubmittedAnswer } from "../../src/lib/scoring";
import { aiProvider } from "../helpers/ai";
import { createUser } from "../helpers/auth";
import { problemOf } from "../helpers/http";
import { db, jsonInit, mailboxBindings, requestWith, runCapturedJobs } from "../email/helpers";
import { answer, createCast, createQuestion, createTest, startAttempt } from "../exam/fixtures";

function harness() {
  const provider = aiProvider();
  const bindings = mailboxBindings({ ...provider.settings, AI_MAX_RETRIES: "0" });
  return { provider, bindings, request: requestWith(bindings) };
}

describe("bulk hints", () => {
  it("writes a hint for each question without one; a hint that states the answer is asked again", async () => {
    const { provider, bindings, request } = harness();
    const instructor = await createUser({ role: "instructor" });
    // MCQ: option "4" is right (too short to police); INTEGER: 6 must not appear as a number.
    const mcq = await createQuestion(instructor.headers, "MCQ");
    const integer = await createQuestion(instructor.headers, "INTEGER");
    const test = await createTest(instructor.headers, [[mcq.id, integer.id]]);
    await provider.script([
      { content: JSON.stringify({ hint: "Count in ones from the first number." }) },
      { content: JSON.stringify({ hint: "It has 6 sides." }) }, // gives the answer away: refused
      { content: JSON.stringify({ hint: "Think of a honeycomb cell and count its edges." }) },
    ]);
    const res = await request(`/v1/ai/tests/${test.id}/hints`, jsonInit("POST", {}, instructor.headers));
    expect(res.status, await res.clone().text()).toBe(202);
    const job = (await res.json()) as { id: string };
    await runCapturedJobs(bindings, "ai");
    const done = (await (await request(`/v1/jobs/${job.id}`, { headers: instructor.headers })).json()) as any;
    expect(done.result).toEqual({ written: [mcq.id, integer.id], failed: [] });
    const stored = await db
      .select({ id: questions.id, hint: questions.hint, by: questions.hintGeneratedBy })
      .from(questions)
      .where(eq(questions.id, integer.id));
    expect(stored).toEqual([{ id: integer.id, hint: "Think of a honeycomb cell and count its edges.", by: "test-model" }]);
    const asked = await provider.requests();
    expect(asked).toHaveLength(3);
    expect(JSON.stringify(asked[2]!.body.messages)).toMatch(/states the answer/);

    // Run again: every question has its hint, nothing is asked.
    await request(`/v1/ai/tests/${test.id}/hints`, jsonInit("POST", {}, instructor.headers));
    await runCapturedJobs(bindings, "ai");
    expect(await provider.requests()).toHaveLength(3);
  });

  it("another instructor's test does not exist for them", async () => {
    const { request } = harness();
    const { instructor, otherInstructor } = await createCast();
    const question = await createQuestion(instructor.headers, "INTEGER");
    const test = await createTest(instructor.headers, [[question.id]]);
    expect((await request(`/v1/ai/tests/${test.id}/hints`, jsonInit("POST", {}, otherInstructor.headers))).status).toBe(404);
  });
});

describe("taking a hint during an attempt", () => {
  it("shows the hint where the test allows it, records its use, and scoring charges the penalty", async () => {
    const { bindings, request } = harness();
    const { instructor, student } = await createCast();
    const hinted = await createQuestion(instructor.headers, "MCQ"); // 4 marks
    const plain = await createQuestion(instructor.headers, "INTEGER"); // 3 marks
    await db.update(questions).set({ hint: "Add the two numbers." }).where(eq(questions.id, hinted.id));
    const test = await createTest(instructor.headers, [[hinted.id, plain.id]], { allowHints: true, hintPenalty: 0.25 });
    const attempt = await startAttempt(student.headers, test.id);

    const hint = await request(`/v1/attempts/${attempt.id}/questions/${hinted.id}/hint`, { method: "POST", headers: student.headers });
    expect(hint.status, await hint.clone().text()).toBe(200);
    expect(await hint.json()).toEqual({ questionId: hinted.id, hint: "Add the two numbers.", penalty: 0.25 });
    // No hint for this one; and nobody else may take hints on this attempt.
    expect(
      (await request(`/v1/attempts/${attempt.id}/questions/${plain.id}/hint`, { method: "POST", headers: student.headers })).status,
    ).toBe(404);
    expect(
      (await request(`/v1/attempts/${attempt.id}/questions/${hinted.id}/hint`, { method: "POST", headers: instructor.headers })).status,
    ).toBe(404);

    await answer(student.headers, attempt.id, hinted.id, 1);
    await answer(student.headers, attempt.id, plain.id, 6);
    await request(`/v1/attempts/${attempt.id}/submit`, { method: "POST", headers: student.headers });
    await runCapturedJobs(bindings, "scoring");
    const scored = (await db.select().from(attempts).where(eq(attempts.id, attempt.id)).get())!;
    // 4 × (1 − 0.25) for the hinted question, 3 for the other.
    expect(scored.score).toBe(6);
    // After submission the hint is closed.
    const late = await request(`/v1/attempts/${attempt.id}/questions/${hinted.id}/hint`, { method: "POST", headers: student.headers });
    expect((await problemOf(late)).code).toBe("conflict");
  });

  it("a test without hints refuses them", async () => {
    const { request } = harness();
    const { instructor, student } = await createCast();
    const question = await createQuestion(instructor.headers, "MCQ");
    await db.update(questions).set({ hint: "Add." }).where(eq(questions.id, question.id));
    const test = await createTest(instructor.headers, [[question.id]]);
    const attempt = await startAttempt(student.headers, test.id);
    const res = await request(`/v1/attempts/${attempt.id}/questions/${question.id}/hint`, { method: "POST", headers: student.headers });
    expect((await problemOf(res)).code).toBe("conflict");
  });
});

describe("the hint penalty in the scoring rules", () => {
  const section = {
    title: "S",
    questions: [
      { id: "q1", type: "MCQ" as const, answerKey: { correctOption: 1 }, options: ["a", "b"], marks: 4, negativeMarks: 1 },
      { id: "q2", type: "MCQ" as const, answerKey: { correctOption: 1 }, options: ["a", "b"], marks: 4, negativeMarks: 1 },
    ],
  };
  const score = (hintPenalty: number, q1: SubmittedAnswer, q2: SubmittedAnswer) =>
    scoreAttempt({ msqScoring: "all_or_nothing", hintPenalty, sections: [section], answers: { q1, q2 }, timeTakenSeconds: 60 }).result
      .score;

  it("takes its share of earned marks only; wrong answers keep their negative marks; no hint, no penalty", () => {
    expect(score(0.5, { answer: 1, hintUsed: true }, { answer: 1 })).toBe(6);
    expect(score(0.5, { answer: 0, hintUsed: true }, { answer: 1 })).toBe(3);
    expect(score(1, { answer: 1, hintUsed: true }, { answer: 1, hintUsed: false })).toBe(4);
    expect(score(0, { answer: 1, hintUsed: true }, { answer: 1 })).toBe(8);
  });
});

import { env } from "cloudflare:workers";
import { beforeAll, describe, expect, it } from "vitest";
import { clock } from "../../src/lib/clock";
import { MAINTENANCE_CRON, runCron } from "../../workers/cron";
import { createApiKey, createUser, type TestUser } from "../helpers/auth";
import { call, problemOf, sendJson } from "../helpers/http";
import { settleScoring } from "../jobs/helpers";
import { answer, createCast, createFullTest, get, json, startAttempt, submit } from "./fixtures";

let instructor: TestUser;
let otherInstructor: TestUser;
let admin: TestUser;
let student: TestUser;
let otherStudent: TestUser;

beforeAll(async () => {
  ({ instructor, otherInstructor, admin, student, otherStudent } = await createCast());
});

const ANSWER_KEYS = /correctOption|correctOptions|"answer":6|"min"|"max"|rubric|explanation|solution/;

async function scoringJobs(attemptId: string) {
  const { results } = await env.DB.prepare(
    "SELECT id, type, idempotency_key, owner_id FROM jobs WHERE json_extract(payload, '$.attemptId') = ?",
  )
    .bind(attemptId)
    .all();
  return results;
}

describe("starting an attempt", () => {
  it("answers 201 with the deadline and the questions, answers stripped", async () => {
    const { test } = await createFullTest(instructor.headers);
    const before = Date.now();
    const res = await call(`/v1/tests/${test.id}/attempts`, { method: "POST", headers: student.headers });
    expect(res.status).toBe(201);
    const attempt = await json(res);
    expect(res.headers.get("Location")).toBe(`/v1/attempts/${attempt.id}`);
    expect(attempt).toMatchObject({ status: "IN_PROGRESS", testId: test.id, userId: student.user.id, result: null });
    const deadline = Date.parse(attempt.deadlineAt) - Date.parse(attempt.startedAt);
    expect(deadline).toBe(30 * 60_000);
    expect(Date.parse(attempt.startedAt)).toBeGreaterThanOrEqual(before - 1000);
    const questions = attempt.sections.flatMap((s: { questions: unknown[] }) => s.questions);
    expect(questions).toHaveLength(5);
    expect(questions[0]).toMatchObject({ type: "MCQ", options: ["3", "4", "5", "22"], marks: 4, negativeMarks: 1, response: null });
    expect(JSON.stringify(attempt)).not.toMatch(ANSWER_KEYS);
    const audit = await env.DB.prepare("SELECT actor_id FROM audit_logs WHERE target_id = ? AND action = 'attempt.started'")
      .bind(attempt.id)
      .first();
    expect(audit).toEqual({ actor_id: student.user.id });
  });

  it("allows one running attempt per test, even when starts race", async () => {
    const { test } = await createFullTest(instructor.headers);
    const results = await Promise.all(
      Array.from({ length: 6 }, () => call(`/v1/tests/${test.id}/attempts`, { method: "POST", headers: student.headers })),
    );
    const statuses = results.map((r) => r.status).sort();
    expect(statuses).toEqual([201, 409, 409, 409, 409, 409]);
    const conflict = await problemOf(results.find((r) => r.status === 409)!);
    const created = await json(results.find((r) => r.status === 201)!);
    expect(conflict.attemptId).toBe(created.id);
    // After submitting, a new attempt may start.
    expect((await submit(student.headers, created.id)).status).toBe(202);
    await startAttempt(student.headers, test.id);
  });

  it("refuses drafts (404 to students, 409 to the author) and unknown tests", async () => {
    const { test } = await createFullTest(instructor.headers, { published: false });
    expect((await call(`/v1/tests/${test.id}/attempts`, { method: "POST", headers: student.headers })).status).toBe(404);
    expect((await call(`/v1/tests/${test.id}/attempts`, { method: "POST", headers: instructor.headers })).status).toBe(409);
    expect((await call(`/v1/tests/tst_nope/attempts`, { method: "POST", headers: student.headers })).status).toBe(404);
    expect((await call(`/v1/tests/${test.id}/attempts`, { method: "POST" })).status).toBe(401);
  });
});

describe("answering", () => {
  const valid: [string, unknown, unknown][] = [
    ["MCQ", 1, 1],
    ["MSQ", [2, 0], [0, 2]],
    ["INTEGER", -7, -7],
    ["RANGE", 9.81, 9.81],
    ["SUBJECTIVE", "  Objects keep moving.  ", "Objects keep moving."],
    ["SUBJECTIVE", 'Inertia <img src=x onerror="alert(1)"><b>matters</b>', "Inertia <b>matters</b>"],
  ];
  const invalid: [string, unknown][] = [
    ["MCQ", 4],
    ["MCQ", -1],
    ["MCQ", 1.5],
    ["MCQ", "1"],
    ["MCQ", [1]],
    ["MSQ", []],
    ["MSQ", [0, 0]],
    ["MSQ", [0, 9]],
    ["MSQ", 1],
    ["INTEGER", 6.5],
    ["INTEGER", "6"],
    ["RANGE", "9.8"],
    ["RANGE", [9.8]],
    ["SUBJECTIVE", "   "],
    ["SUBJECTIVE", 5],
    ["SUBJECTIVE", "<script>alert(1)</script>"],
  ];

  it("stores every type's answer shape and clears with null", async () => {
    const { test, ids } = await createFullTest(instructor.headers);
    const attempt = await startAttempt(student.headers, test.id);
    for (const [type, sent, stored] of valid) {
      const res = await answer(student.headers, attempt.id, ids[type as keyof typeof ids], sent);
      expect(res.status, `${type} ${JSON.stringify(sent)}`).toBe(200);
      expect((await json(res)).answer).toEqual(stored);
    }
    const cleared = await answer(student.headers, attempt.id, ids.MCQ, null);
    expect((await json(cleared)).answer).toBeNull();
    const view = await json(await get(`/v1/attempts/${attempt.id}`, student.headers));
    const responses = Object.fromEntries(
      view.sections.flatMap((s: { questions: { type: string; response: { answer: unknown } | null }[] }) =>
        s.questions.map((q) => [q.type, q.response?.answer]),
      ),
    );
    expect(responses).toEqual({ MCQ: null, MSQ: [0, 2], INTEGER: -7, RANGE: 9.81, SUBJECTIVE: "Inertia <b>matters</b>" });
    expect(JSON.stringify(view)).not.toMatch(/correctOption|rubric|explanation|solution/);
  });

  it("refuses answers that do not fit the question type, changing nothing", async () => {
    const { test, ids } = await createFullTest(instructor.headers);
    const attempt = await startAttempt(student.headers, test.id);
    for (const [type, sent] of invalid) {
      const res = await answer(student.headers, attempt.id, ids[type as keyof typeof ids], sent);
      expect(res.status, `${type} ${JSON.stringify(sent)}`).toBe(400);
      expect((await problemOf(res)).code).toBe("validation_failed");
    }
    const { n } = (await env.DB.prepare("SELECT count(*) AS n FROM answers WHERE attempt_id = ?").bind(attempt.id).first<{ n: number }>())!;
    expect(n).toBe(0);
    const extra = await sendJson(`/v1/attempts/${attempt.id}/answers/${ids.MCQ}`, "PUT", { answer: 1, marksAwarded: 100 }, student.headers);
    expect(extra.status).toBe(400);
  });

  it("answers 404 for a question outside the attempt's test", async () => {
    const { test } = await createFullTest(instructor.headers);
    const { ids: otherIds } = await createFullTest(instructor.headers);
    const attempt = await startAttempt(student.headers, test.id);
    expect((await answer(student.headers, attempt.id, otherIds.MCQ, 1)).status).toBe(404);
  });

  it("accumulates time spent per question", async () => {
    const { test, ids } = await createFullTest(instructor.headers);
    const attempt = await startAttempt(student.headers, test.id);
    await sendJson(`/v1/attempts/${attempt.id}/answers/${ids.MCQ}`, "PUT", { answer: 0, timeSpentSeconds: 20 }, student.headers);
    const res = await sendJson(
      `/v1/attempts/${attempt.id}/answers/${ids.MCQ}`,
      "PUT",
      { answer: 1, timeSpentSeconds: 15 },
      student.headers,
    );
    expect(await json(res)).toMatchObject({ answer: 1, timeSpentSeconds: 35 });
  });
});

describe("deadline", () => {
  it("refuses answers after the deadline with 409, then the cron submits the attempt and enqueues scoring", async () => {
    const { test, ids } = await createFullTest(instructor.headers, { durationMinutes: 5 });
    const attempt = await startAttempt(student.headers, test.id);
    expect((await answer(student.headers, attempt.id, ids.MCQ, 1)).status).toBe(200);
    clock.advance(5 * 60_000 - 2000);
    expect((await answer(student.headers, attempt.id, ids.INTEGER, 6)).status).toBe(200);
    clock.advance(2000);
    const late = await answer(student.headers, attempt.id, ids.RANGE, 9.8);
    expect(late.status).toBe(409);
    const answerAudits = await env.DB.prepare(
      "SELECT json_extract(metadata, '$.questionId') AS questionId FROM audit_logs WHERE target_id = ? AND action = 'attempt.answered' ORDER BY id",
    )
      .bind(attempt.id)
      .all();
    // One audit row per accepted answer, in the same batch as it; the refused late answer left none.
    expect(answerAudits.results).toEqual([{ questionId: ids.MCQ }, { questionId: ids.INTEGER }]);
    const problem = await problemOf(late);
    expect(problem.code).toBe("conflict");
    expect(problem.deadlineAt).toBe(attempt.deadlineAt);

    const outcome = await runCron(MAINTENANCE_CRON, env);
    expect(outcome["auto-submit-attempts"]).toMatchObject({ submitted: expect.any(Number) });
    const row = await env.DB.prepare("SELECT status, auto_submitted, submitted_at, deadline_at FROM attempts WHERE id = ?")
      .bind(attempt.id)
      .first<Record<string, number | string>>();
    expect(row).toMatchObject({ status: "SUBMITTED", auto_submitted: 1 });
    expect(row!.submitted_at).toBe(row!.deadline_at);
    expect(await scoringJobs(attempt.id)).toEqual([
      expect.objectContaining({ type: "attempt.score", idempotency_key: `score:${attempt.id}`, owner_id: student.user.id }),
    ]);
    const audit = await env.DB.prepare("SELECT actor_type FROM audit_logs WHERE target_id = ? AND action = 'attempt.submitted'")
      .bind(attempt.id)
      .all();
    expect(audit.results).toEqual([{ actor_type: "system" }]);

    // A second tick finds nothing more to do for this attempt.
    await runCron(MAINTENANCE_CRON, env);
    expect(await scoringJobs(attempt.id)).toHaveLength(1);
    expect((await submit(student.headers, attempt.id)).status).toBe(409);
  });

  it("makes one transition when the cron and the taker submit at the same moment", async () => {
    const { test } = await createFullTest(instructor.headers, { durationMinutes: 1 });
    const takers = await Promise.all([createUser(), createUser(), createUser()]);
    const started = await Promise.all(takers.map((taker) => startAttempt(taker.headers, test.id)));
    clock.advance(60_000);
    const [, ...manual] = await Promise.all([
      runCron(MAINTENANCE_CRON, env),
      ...takers.map((taker, i) => submit(taker.headers, started[i]!.id)),
    ]);
    expect(manual.every((res) => res.status === 202 || res.status === 409)).toBe(true);
    for (const attempt of started) {
      expect(await scoringJobs(attempt.id)).toHaveLength(1);
      const { n } = (await env.DB.prepare("SELECT count(*) AS n FROM audit_logs WHERE target_id = ? AND action = 'attempt.submitted'")
        .bind(attempt.id)
        .first<{ n: number }>())!;
      expect(n).toBe(1);
      const row = await env.DB.prepare("SELECT status FROM attempts WHERE id = ?").bind(attempt.id).first<{ status: string }>();
      expect(row!.status).not.toBe("IN_PROGRESS");
    }
  });

  it("lets the taker submit late until the cron has done it", async () => {
    const { test } = await createFullTest(instructor.headers, { durationMinutes: 1 });
    const attempt = await startAttempt(student.headers, test.id);
    clock.advance(61_000);
    expect((await submit(student.headers, attempt.id)).status).toBe(202);
    const audit = await env.DB.prepare("SELECT metadata FROM audit_logs WHERE target_id = ? AND action = 'attempt.submitted'")
      .bind(attempt.id)
      .first<{ metadata: string }>();
    expect(JSON.parse(audit!.metadata)).toMatchObject({ late: true });
  });
});

describe("submitting", () => {
  it("answers 202, enqueues one scoring job and closes the attempt to answers", async () => {
    const { test, ids } = await createFullTest(instructor.headers);
    const attempt = await startAttempt(student.headers, test.id);
    await answer(student.headers, attempt.id, ids.MCQ, 1);
    const res = await submit(student.headers, attempt.id);
    expect(res.status).toBe(202);
    expect(await json(res)).toMatchObject({ id: attempt.id, status: "SUBMITTED" });
    const jobs = await scoringJobs(attempt.id);
    expect(jobs).toEqual([expect.objectContaining({ idempotency_key: `score:${attempt.id}`, owner_id: student.user.id })]);
    const after = await answer(student.headers, attempt.id, ids.MCQ, 2);
    expect(after.status).toBe(409);
    expect((await problemOf(after)).status).toBe(409);
    const again = await submit(student.headers, attempt.id);
    expect(again.status).toBe(409);
  });

  it("makes exactly one transition when many submits race", async () => {
    const { test } = await createFullTest(instructor.headers);
    const attempt = await startAttempt(student.headers, test.id);
    const results = await Promise.all(Array.from({ length: 8 }, () => submit(student.headers, attempt.id)));
    expect(results.filter((r) => r.status === 202)).toHaveLength(1);
    expect(results.filter((r) => r.status === 409)).toHaveLength(7);
    expect(await scoringJobs(attempt.id)).toHaveLength(1);
    const { n } = (await env.DB.prepare("SELECT count(*) AS n FROM audit_logs WHERE target_id = ? AND action = 'attempt.submitted'")
      .bind(attempt.id)
      .first<{ n: number }>())!;
    expect(n).toBe(1);
  });
});

describe("object-level access", () => {
  it("keeps attempts between students and between instructors", async () => {
    const { test, ids } = await createFullTest(instructor.headers);
    const attempt = await startAttempt(student.headers, test.id);
    // Another student: every verb on the attempt is 404.
    expect((await get(`/v1/attempts/${attempt.id}`, otherStudent.headers)).status).toBe(404);
    expect((await answer(otherStudent.headers, attempt.id, ids.MCQ, 0)).status).toBe(404);
    expect((await submit(otherStudent.headers, attempt.id)).status).toBe(404);
    // Another instructor (not the test's author) cannot read or grade it.
    expect((await get(`/v1/attempts/${attempt.id}`, otherInstructor.headers)).status).toBe(404);
    // The author and admins can read it, and only the taker can write it.
    expect((await get(`/v1/attempts/${attempt.id}`, instructor.headers)).status).toBe(200);
    expect((await get(`/v1/attempts/${attempt.id}`, admin.headers)).status).toBe(200);
    expect((await answer(instructor.headers, attempt.id, ids.MCQ, 0)).status).toBe(404);
    expect((await submit(admin.headers, attempt.id)).status).toBe(404);
    expect((await get(`/v1/attempts/att_01JD000000000000000000000Z`, student.headers)).status).toBe(404);
  });

  it("lists a test's attempts for its author and admins only", async () => {
    const { test } = await createFullTest(instructor.headers);
    const a = await startAttempt(student.headers, test.id);
    const b = await startAttempt(otherStudent.headers, test.id);
    await submit(otherStudent.headers, b.id);
    const all = await json(await get(`/v1/tests/${test.id}/attempts`, instructor.headers));
    expect(all.data.map((x: { id: string }) => x.id)).toEqual([b.id, a.id]);
    const submitted = await json(await get(`/v1/tests/${test.id}/attempts?status=SUBMITTED`, admin.headers));
    expect(submitted.data.map((x: { id: string }) => x.id)).toEqual([b.id]);
    expect((await get(`/v1/tests/${test.id}/attempts`, otherInstructor.headers)).status).toBe(404);
    expect((await get(`/v1/tests/${test.id}/attempts`, student.headers)).status).toBe(404);
    expect((await get(`/v1/tests/${test.id}/attempts?status=DONE`, instructor.headers)).status).toBe(400);
  });

  it("serves a question's image to the attempt's readers only", async () => {
    const png = Uint8Array.from([
      0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a, 0, 0, 0, 13, 0x49, 0x48, 0x44, 0x52, 0, 0, 0, 1, 0, 0, 0, 1, 8, 6, 0, 0, 0, 0x1f,
      0x15, 0xc4, 0x89, 0, 0, 0, 10, 0x49, 0x44, 0x41, 0x54, 0x78, 0x9c, 0x63, 0, 1, 0, 0, 5, 0, 1, 0x0d, 0x0a, 0x2d, 0xb4, 0, 0, 0, 0,
      0x49, 0x45, 0x4e, 0x44, 0xae, 0x42, 0x60, 0x82,
    ]);
    const form = new FormData();
    form.append("file", new File([png], "diagram.png", { type: "image/png" }));
    form.append("purpose", "question_image");
    const uploaded = await call("/v1/uploads", { method: "POST", headers: instructor.headers, body: form });
    expect(uploaded.status, await uploaded.clone().text()).toBe(201);
    const { id: imageUploadId } = await json(uploaded);
    const { test, ids } = await createFullTest(instructor.headers);
    expect((await sendJson(`/v1/questions/${ids.MCQ}`, "PATCH", { imageUploadId }, instructor.headers)).status).toBe(200);
    const attempt = await startAttempt(student.headers, test.id);
    const image = await get(`/v1/attempts/${attempt.id}/questions/${ids.MCQ}/image`, student.headers);
    expect(image.status).toBe(200);
    expect(image.headers.get("Content-Type")).toBe("image/png");
    expect(image.headers.get("Content-Security-Policy")).toBe("default-src 'none'; sandbox");
    expect(image.headers.get("X-Content-Type-Options")).toBe("nosniff");
    expect(new Uint8Array(await image.arrayBuffer())).toEqual(png);
    expect((await get(`/v1/attempts/${attempt.id}/questions/${ids.MCQ}/image`, otherStudent.headers)).status).toBe(404);
    expect((await get(`/v1/attempts/${attempt.id}/questions/${ids.INTEGER}/image`, student.headers)).status).toBe(404);
  });

  it("holds API keys to their scopes", async () => {
    const { test, ids } = await createFullTest(instructor.headers);
    const readOnly = await createApiKey(student.headers, { scopes: ["tests:read", "attempts:read"] });
    expect((await get(`/v1/tests/${test.id}`, readOnly.headers)).status).toBe(200);
    const denied = await call(`/v1/tests/${test.id}/attempts`, { method: "POST", headers: readOnly.headers });
    expect((await problemOf(denied)).code).toBe("insufficient_scope");
    const attempt = await startAttempt(student.headers, test.id);
    expect((await get(`/v1/attempts/${attempt.id}`, readOnly.headers)).status).toBe(200);
    expect((await answer(readOnly.headers, attempt.id, ids.MCQ, 1)).status).toBe(403);
    const writer = await createApiKey(student.headers, { scopes: ["attempts:write"] });
    expect((await answer(writer.headers, attempt.id, ids.MCQ, 1)).status).toBe(200);
  });

  it("lists only the caller's own attempts, newest first, with a cursor", async () => {
    const { test } = await createFullTest(instructor.headers);
    const { test: test2 } = await createFullTest(instructor.headers);
    const me = await createUser();
    const first = await startAttempt(me.headers, test.id);
    const second = await startAttempt(me.headers, test2.id);
    await startAttempt(otherStudent.headers, test.id);
    const page1 = await json(await get("/v1/me/attempts?limit=1", me.headers));
    expect(page1.data.map((a: { id: string }) => a.id)).toEqual([second.id]);
    expect(page1.data[0].testTitle).toBe("Mock test");
    const page2 = await json(await get(`/v1/me/attempts?limit=1&cursor=${page1.nextCursor}`, me.headers));
    expect(page2.data.map((a: { id: string }) => a.id)).toEqual([first.id]);
    expect(page2.nextCursor).toBeNull();
  });
});

describe("results and grading", () => {
  async function submittedAttempt() {
    const { test, ids } = await createFullTest(instructor.headers);
    const attempt = await startAttempt(student.headers, test.id);
    await answer(student.headers, attempt.id, ids.MCQ, 1);
    await answer(student.headers, attempt.id, ids.SUBJECTIVE, "Things at rest stay at rest.");
    expect((await submit(student.headers, attempt.id)).status).toBe(202);
    return { test, ids, attempt };
  }

  it("hides solutions from the taker until scored, then shows result, solutions and explanations", async () => {
    const { attempt } = await submittedAttempt();
    const pending = await json(await get(`/v1/attempts/${attempt.id}`, student.headers));
    expect(pending.status).toBe("SUBMITTED");
    expect(pending.result).toBeNull();
    expect(JSON.stringify(pending)).not.toMatch(/correctOption|explanation|solution|rubric/);
    // The author sees solutions and the rubric at once, to grade by.
    const forGrader = await json(await get(`/v1/attempts/${attempt.id}`, instructor.headers));
    const subjective = forGrader.sections[1].questions.find((q: { type: string }) => q.type === "SUBJECTIVE");
    expect(subjective.solution.rubric).toBe("Mentions Newton's first law.");

    const result = { score: 4, maxScore: 19, accuracy: 1, provisional: true, timeTakenSeconds: 60, sections: [] };
    await env.DB.prepare(
      "UPDATE attempts SET status = 'SCORED', scored_at = ?, score = 4, max_score = 19, provisional = 1, result = ? WHERE id = ?",
    )
      .bind(Date.now(), JSON.stringify(result), attempt.id)
      .run();
    const scored = await json(await get(`/v1/attempts/${attempt.id}`, student.headers));
    expect(scored).toMatchObject({ status: "SCORED", score: 4, maxScore: 19, provisional: true, result });
    const mcq = scored.sections[0].questions[0];
    expect(mcq.solution).toEqual({ correctOption: 1, explanation: "Basic addition." });
    const subj = scored.sections[1].questions.find((q: { type: string }) => q.type === "SUBJECTIVE");
    expect(subj.solution.rubric).toBeUndefined();
  });

  it("lets the test's author grade a subjective answer, and the attempt's scoring picks the grade up", async () => {
    const { attempt, ids } = await submittedAttempt();
    const res = await sendJson(
      `/v1/attempts/${attempt.id}/answers/${ids.SUBJECTIVE}/grade`,
      "PUT",
      { marks: 4, feedback: "Good, cite the law." },
      instructor.headers,
    );
    expect(res.status, await res.clone().text()).toBe(200);
    const graded = await json(res);
    expect(graded).toMatchObject({ gradedMarks: 4, feedback: "Good, cite the law." });
    const row = await env.DB.prepare("SELECT graded_marks, graded_by, feedback FROM answers WHERE attempt_id = ? AND question_id = ?")
      .bind(attempt.id, ids.SUBJECTIVE)
      .first();
    expect(row).toEqual({ graded_marks: 4, graded_by: instructor.user.id, feedback: "Good, cite the law." });
    // The grade rides on the submit's scoring job if that still waits, else on a new one: either way one named in the answer.
    const jobs = await scoringJobs(attempt.id);
    expect(jobs.map((job) => job.id)).toContain(graded.scoringJobId);
    expect(jobs.find((job) => job.id === graded.scoringJobId)).toMatchObject({ owner_id: student.user.id });
    const audit = await env.DB.prepare("SELECT actor_id FROM audit_logs WHERE target_id = ? AND action = 'attempt.graded'")
      .bind(attempt.id)
      .first();
    expect(audit).toEqual({ actor_id: instructor.user.id });
    // Admins may grade too.
    expect((await sendJson(`/v1/attempts/${attempt.id}/answers/${ids.SUBJECTIVE}/grade`, "PUT", { marks: 5 }, admin.headers)).status).toBe(
      200,
    );
    await settleScoring(attempt.id);
    const scored = await json(await get(`/v1/attempts/${attempt.id}`, student.headers));
    expect(scored).toMatchObject({ status: "SCORED", score: 9, provisional: false }); // MCQ 4 + graded 5
  });

  it("refuses grading by others, of other types, beyond the marks, before submission or of nothing", async () => {
    const { attempt, ids, test } = await submittedAttempt();
    const grade = (headers: Record<string, string>, questionId: string, body: unknown, id = attempt.id) =>
      sendJson(`/v1/attempts/${id}/answers/${questionId}/grade`, "PUT", body, headers);
    expect((await grade(student.headers, ids.SUBJECTIVE, { marks: 5 })).status).toBe(403);
    expect((await grade(otherInstructor.headers, ids.SUBJECTIVE, { marks: 5 })).status).toBe(404);
    expect((await grade(instructor.headers, ids.MCQ, { marks: 1 })).status).toBe(422);
    expect((await grade(instructor.headers, ids.SUBJECTIVE, { marks: 6 })).status).toBe(400);
    expect((await grade(instructor.headers, ids.SUBJECTIVE, { marks: -1 })).status).toBe(400);
    expect((await grade(instructor.headers, ids.SUBJECTIVE, { marks: 1, gradedBy: "x" })).status).toBe(400);
    const running = await startAttempt(otherStudent.headers, test.id);
    expect((await grade(instructor.headers, ids.SUBJECTIVE, { marks: 1 }, running.id)).status).toBe(409);
    await submit(otherStudent.headers, running.id);
    expect((await grade(instructor.headers, ids.SUBJECTIVE, { marks: 1 }, running.id)).status).toBe(409);
  });
});

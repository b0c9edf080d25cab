import { env } from "cloudflare:workers";
import { beforeAll, describe, expect, it } from "vitest";
import type { TestUser } from "../helpers/auth";
import { call, problemOf, sendJson } from "../helpers/http";
import { createCast, createFullTest, createQuestion, createTest, get, json, startAttempt } from "./fixtures";

let instructor: TestUser;
let otherInstructor: TestUser;
let admin: TestUser;
let student: TestUser;

beforeAll(async () => {
  ({ instructor, otherInstructor, admin, student } = await createCast());
});

describe("POST /v1/tests", () => {
  it("creates a test with sections, overrides and totals", async () => {
    const a = await createQuestion(instructor.headers, "MCQ");
    const b = await createQuestion(instructor.headers, "INTEGER");
    const res = await sendJson(
      "/v1/tests",
      "POST",
      {
        title: "JEE mock",
        description: "<p>Two sections<script>x</script></p>",
        durationMinutes: 90,
        sections: [
          { title: "Physics", questionIds: [a.id], marksPerQuestion: 10, negativeMarks: 2 },
          { title: "Maths", questionIds: [b.id] },
        ],
        msqScoring: "partial",
        published: false,
      },
      instructor.headers,
    );
    expect(res.status).toBe(201);
    const test = await json(res);
    expect(test).toMatchObject({
      title: "JEE mock",
      durationMinutes: 90,
      msqScoring: "partial",
      published: false,
      questionCount: 2,
      maxScore: 13,
    });
    expect(test.description).not.toContain("script");
    expect(test.sections).toEqual([
      expect.objectContaining({ title: "Physics", marksPerQuestion: 10, negativeMarks: 2, questionIds: [a.id], maxScore: 10 }),
      expect.objectContaining({ title: "Maths", marksPerQuestion: null, questionIds: [b.id], maxScore: 3 }),
    ]);
    const audit = await env.DB.prepare("SELECT action FROM audit_logs WHERE target_id = ?").bind(test.id).first();
    expect(audit).toEqual({ action: "test.created" });
  });

  it("refuses questions that are missing, deleted or another instructor's, naming each", async () => {
    const mine = await createQuestion(instructor.headers, "MCQ");
    const theirs = await createQuestion(otherInstructor.headers, "MCQ");
    const res = await sendJson(
      "/v1/tests",
      "POST",
      { title: "T", durationMinutes: 10, sections: [{ title: "S", questionIds: [mine.id, theirs.id, "qst_01JD00000000000000000000ZZ"] }] },
      instructor.headers,
    );
    expect(res.status).toBe(400);
    expect((await problemOf(res)).errors!.map((e) => e.path)).toEqual(["sections.0.questionIds.1", "sections.0.questionIds.2"]);
    // An admin may build from anyone's bank.
    const byAdmin = await sendJson(
      "/v1/tests",
      "POST",
      { title: "T", durationMinutes: 10, sections: [{ title: "S", questionIds: [mine.id, theirs.id] }] },
      admin.headers,
    );
    expect(byAdmin.status).toBe(201);
  });

  it("refuses a question listed twice, empty sections, bad durations and extra fields", async () => {
    const q = await createQuestion(instructor.headers, "MCQ");
    const cases = [
      {
        title: "T",
        durationMinutes: 10,
        sections: [
          { title: "A", questionIds: [q.id] },
          { title: "B", questionIds: [q.id] },
        ],
      },
      { title: "T", durationMinutes: 10, sections: [] },
      { title: "T", durationMinutes: 10, sections: [{ title: "A", questionIds: [] }] },
      { title: "T", durationMinutes: 0, sections: [{ title: "A", questionIds: [q.id] }] },
      { title: "T", durationMinutes: 10, sections: [{ title: "A", questionIds: [q.id] }], authorId: otherInstructor.user.id },
      { title: "T", durationMinutes: 10, sections: [{ title: "A", questionIds: [q.id] }], msqScoring: "lenient" },
    ];
    for (const body of cases) {
      const res = await sendJson("/v1/tests", "POST", body, instructor.headers);
      expect(res.status, JSON.stringify(body)).toBe(400);
    }
  });

  it("is for instructors and admins only", async () => {
    const res = await sendJson("/v1/tests", "POST", { title: "T", durationMinutes: 10, sections: [] }, student.headers);
    expect(res.status).toBe(403);
  });
});

describe("reading tests", () => {
  it("shows students only published tests, without question ids or answers", async () => {
    const { test: published } = await createFullTest(instructor.headers);
    const { test: draft } = await createFullTest(instructor.headers, { published: false });
    const list = await json(await get("/v1/tests?limit=100", student.headers));
    const ids = list.data.map((t: { id: string }) => t.id);
    expect(ids).toContain(published.id);
    expect(ids).not.toContain(draft.id);

    const res = await get(`/v1/tests/${published.id}`, student.headers);
    expect(res.status).toBe(200);
    const view = await json(res);
    expect(view.sections[0].questionIds).toBeUndefined();
    expect(view.sections[0].questionCount).toBe(2);
    expect(JSON.stringify(view)).not.toMatch(/correctOption|rubric|explanation/);
    expect((await get(`/v1/tests/${draft.id}`, student.headers)).status).toBe(404);
  });

  it("shows instructors their own tests only, admins all", async () => {
    const { test: mine } = await createFullTest(instructor.headers, { published: false });
    const theirs = await createTest(otherInstructor.headers, [[(await createQuestion(otherInstructor.headers)).id]], { published: false });
    const myList = (await json(await get("/v1/tests?limit=100", instructor.headers))).data.map((t: { id: string }) => t.id);
    expect(myList).toContain(mine.id);
    expect(myList).not.toContain(theirs.id);
    expect((await get(`/v1/tests/${theirs.id}`, instructor.headers)).status).toBe(404);
    expect((await get(`/v1/tests/${theirs.id}`, admin.headers)).status).toBe(200);
    const adminList = (await json(await get("/v1/tests?limit=100&published=false", admin.headers))).data.map((t: { id: string }) => t.id);
    expect(adminList).toEqual(expect.arrayContaining([mine.id, theirs.id]));
  });
});

describe("changing tests", () => {
  it("publishes a draft once, auditing it", async () => {
    const { test } = await createFullTest(instructor.headers, { published: false });
    const res = await call(`/v1/tests/${test.id}/publish`, { method: "POST", headers: instructor.headers });
    expect(res.status).toBe(200);
    expect((await json(res)).published).toBe(true);
    await call(`/v1/tests/${test.id}/publish`, { method: "POST", headers: instructor.headers });
    const { n } = (await env.DB.prepare("SELECT count(*) AS n FROM audit_logs WHERE target_id = ? AND action = 'test.published'")
      .bind(test.id)
      .first<{ n: number }>())!;
    expect(n).toBe(1);
    expect((await get(`/v1/tests/${test.id}`, student.headers)).status).toBe(200);
  });

  it("patches fields and replaces sections until someone attempts it", async () => {
    const { test, ids } = await createFullTest(instructor.headers);
    const patched = await sendJson(
      `/v1/tests/${test.id}`,
      "PATCH",
      { title: "Renamed", sections: [{ title: "Only", questionIds: [ids.MCQ] }] },
      instructor.headers,
    );
    expect(patched.status).toBe(200);
    expect(await json(patched)).toMatchObject({
      title: "Renamed",
      questionCount: 1,
      sections: [expect.objectContaining({ title: "Only" })],
    });
    await startAttempt(student.headers, test.id);
    const blocked = await sendJson(
      `/v1/tests/${test.id}`,
      "PATCH",
      { sections: [{ title: "X", questionIds: [ids.INTEGER] }] },
      instructor.headers,
    );
    expect(blocked.status).toBe(409);
    expect((await sendJson(`/v1/tests/${test.id}`, "PATCH", { title: "Still fine" }, instructor.headers)).status).toBe(200);
  });

  it("answers 404 to another instructor on every write", async () => {
    const { test } = await createFullTest(instructor.headers);
    expect((await sendJson(`/v1/tests/${test.id}`, "PATCH", { title: "Mine now" }, otherInstructor.headers)).status).toBe(404);
    expect((await call(`/v1/tests/${test.id}/publish`, { method: "POST", headers: otherInstructor.headers })).status).toBe(404);
    expect((await call(`/v1/tests/${test.id}`, { method: "DELETE", headers: otherInstructor.headers })).status).toBe(404);
  });

  it("soft-deletes a test: gone from reads and attempts, rows kept", async () => {
    const { test } = await createFullTest(instructor.headers);
    expect((await call(`/v1/tests/${test.id}`, { method: "DELETE", headers: instructor.headers })).status).toBe(204);
    expect((await get(`/v1/tests/${test.id}`, student.headers)).status).toBe(404);
    expect((await call(`/v1/tests/${test.id}/attempts`, { method: "POST", headers: student.headers })).status).toBe(404);
    const row = await env.DB.prepare("SELECT deleted_at FROM tests WHERE id = ?").bind(test.id).first<{ deleted_at: number }>();
    expect(row!.deleted_at).toBeGreaterThan(0);
  });
});

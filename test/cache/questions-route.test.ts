import { env } from "cloudflare:workers";
import { beforeAll, describe, expect, it } from "vitest";
import { call, sendJson } from "../helpers/http";
import { createCast, createQuestion, get, json, SAMPLE_QUESTIONS, type Cast } from "../exam/fixtures";

let cast: Cast;

beforeAll(async () => {
  cast = await createCast();
});

const listed = async (path: string, headers: Record<string, string>) =>
  (await json<{ data: { id: string; body: string }[] }>(await get(path, headers))).data;

describe("the question bank through the cache", () => {
  it("shows each write at once, in the author's list, the admins' list and the detail", async () => {
    const subject = `Bank-${crypto.randomUUID().slice(0, 8)}`;
    const path = `/v1/questions?subject=${subject}&limit=100`;
    const readers = [cast.instructor, cast.admin];
    for (const reader of readers) expect(await listed(path, reader.headers)).toEqual([]);

    const question = await createQuestion(cast.instructor.headers, "MCQ", { subject });
    for (const reader of readers) expect((await listed(path, reader.headers)).map((q) => q.id)).toEqual([question.id]);
    expect(await json(await get(`/v1/questions/${question.id}`, cast.instructor.headers))).toMatchObject({ marks: 4 });

    expect(
      (await sendJson(`/v1/questions/${question.id}`, "PATCH", { body: "<p>Edited</p>", marks: 2 }, cast.instructor.headers)).status,
    ).toBe(200);
    expect(await json(await get(`/v1/questions/${question.id}`, cast.instructor.headers))).toMatchObject({
      body: "<p>Edited</p>",
      marks: 2,
    });
    for (const reader of readers) expect((await listed(path, reader.headers))[0]?.body).toBe("<p>Edited</p>");

    expect((await call(`/v1/questions/${question.id}`, { method: "DELETE", headers: cast.instructor.headers })).status).toBe(204);
    expect((await get(`/v1/questions/${question.id}`, cast.instructor.headers)).status).toBe(404);
    for (const reader of readers) expect(await listed(path, reader.headers)).toEqual([]);
  });

  it("shows an admin's bulk import at once in the admins' list", async () => {
    const subject = `Import-${crypto.randomUUID().slice(0, 8)}`;
    const path = `/v1/questions?subject=${subject}&limit=100`;
    expect(await listed(path, cast.admin.headers)).toEqual([]);
    const rows = [
      { ...SAMPLE_QUESTIONS.INTEGER, subject },
      { ...SAMPLE_QUESTIONS.MCQ, subject },
    ];
    const res = await sendJson("/v1/admin/questions/import", "POST", { questions: rows }, cast.admin.headers);
    expect(res.status, await res.clone().text()).toBe(201);
    expect(await listed(path, cast.admin.headers)).toHaveLength(2);
  });

  it("does not cache free-text search, so it stores no entry per search", async () => {
    const rows = async () =>
      (await env.DB.prepare("SELECT count(*) AS n FROM cache_entries WHERE key LIKE 'questions:list%'").first<{ n: number }>())!.n;
    const before = await rows();
    for (const q of ["alpha", "beta", "gamma"]) expect((await get(`/v1/questions?q=${q}`, cast.instructor.headers)).status).toBe(200);
    await createQuestion(cast.instructor.headers, "MCQ", { body: "<p>A searchable delta</p>" });
    // The search sees the new question at once (it is never cached) and left no rows behind.
    expect((await listed("/v1/questions?q=delta", cast.instructor.headers)).map((q) => q.body)).toEqual(["<p>A searchable delta</p>"]);
    expect(await rows()).toBe(before);
  });
});

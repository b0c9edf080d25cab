import { env } from "cloudflare:workers";
import { beforeAll, describe, expect, it } from "vitest";
import { cache, TAG_RECHECK_MS } from "../../src/lib/cache";
import { clock } from "../../src/lib/clock";
import { call, sendJson } from "../helpers/http";
import { createCast, createQuestion, createTest, get, json, type Cast } from "../exam/fixtures";
import { expectSameResponse, writeElsewhere } from "./support";

let cast: Cast;

beforeAll(async () => {
  cast = await createCast();
});

const catalogueIds = async (headers: Record<string, string>) =>
  (await json<{ data: { id: string; title: string }[] }>(await get("/v1/tests?limit=100", headers))).data;

describe("test detail and list through the cache", () => {
  it("answers a hit exactly as the miss before it", async () => {
    const question = await createQuestion(cast.instructor.headers);
    const test = await createTest(cast.instructor.headers, [[question.id]]);
    for (const path of [`/v1/tests/${test.id}`, "/v1/tests?limit=5"]) {
      const miss = await get(path, cast.student.headers);
      const hitsBefore = cache.stats().memoryHits;
      const hit = await get(path, cast.student.headers);
      expect(cache.stats().memoryHits).toBeGreaterThan(hitsBefore);
      await expectSameResponse(miss, hit);
    }
  });

  it("shows each write at once in this isolate: publish, edit, a question's marks, delete", async () => {
    const { instructor, student } = cast;
    const question = await createQuestion(instructor.headers, "INTEGER", { marks: 3 });
    const draft = await createTest(instructor.headers, [[question.id]], { published: false, title: "Draft" });
    // Both reads are now cached for students: the list without the draft, the detail as a 404.
    expect((await catalogueIds(student.headers)).map((t) => t.id)).not.toContain(draft.id);
    expect((await get(`/v1/tests/${draft.id}`, student.headers)).status).toBe(404);

    expect((await call(`/v1/tests/${draft.id}/publish`, { method: "POST", headers: instructor.headers })).status).toBe(200);
    expect((await catalogueIds(student.headers)).map((t) => t.id)).toContain(draft.id);
    expect(await json(await get(`/v1/tests/${draft.id}`, student.headers))).toMatchObject({ title: "Draft", published: true, maxScore: 3 });

    expect((await sendJson(`/v1/tests/${draft.id}`, "PATCH", { title: "Renamed" }, instructor.headers)).status).toBe(200);
    expect((await catalogueIds(student.headers)).find((t) => t.id === draft.id)?.title).toBe("Renamed");
    expect(await json(await get(`/v1/tests/${draft.id}`, student.headers))).toMatchObject({ title: "Renamed" });

    // A question's marks are part of every test holding it.
    expect((await sendJson(`/v1/questions/${question.id}`, "PATCH", { marks: 7 }, instructor.headers)).status).toBe(200);
    expect(await json(await get(`/v1/tests/${draft.id}`, student.headers))).toMatchObject({ maxScore: 7 });

    expect((await call(`/v1/tests/${draft.id}`, { method: "DELETE", headers: instructor.headers })).status).toBe(204);
    expect((await get(`/v1/tests/${draft.id}`, student.headers)).status).toBe(404);
    expect((await get(`/v1/tests/${draft.id}`, instructor.headers)).status).toBe(404);
    expect((await catalogueIds(student.headers)).map((t) => t.id)).not.toContain(draft.id);
  });

  it("lists a new test at once, in every caller's list", async () => {
    const question = await createQuestion(cast.instructor.headers);
    await catalogueIds(cast.student.headers);
    await catalogueIds(cast.admin.headers);
    await catalogueIds(cast.instructor.headers);
    const test = await createTest(cast.instructor.headers, [[question.id]]);
    for (const who of [cast.student, cast.admin, cast.instructor]) expect((await catalogueIds(who.headers))[0]?.id).toBe(test.id);
  });

  it("keys each page by its query: limit, cursor and the published filter", async () => {
    const question = await createQuestion(cast.instructor.headers);
    const [older, newer] = [
      await createTest(cast.instructor.headers, [[question.id]]),
      await createTest(cast.instructor.headers, [[question.id]]),
    ];
    const first = await json(await get("/v1/tests?limit=1", cast.instructor.headers));
    expect(first.data.map((t: { id: string }) => t.id)).toEqual([newer.id]);
    const second = await json(await get(`/v1/tests?limit=1&cursor=${first.nextCursor}`, cast.instructor.headers));
    expect(second.data.map((t: { id: string }) => t.id)).toEqual([older.id]);
    expect((await json(await get("/v1/tests?limit=2", cast.instructor.headers))).data).toHaveLength(2);
    expect(
      (await json(await get("/v1/tests?published=false", cast.instructor.headers))).data.map((t: { id: string }) => t.id),
    ).not.toContain(newer.id);
  });

  it(`sees another isolate's write within TAG_RECHECK_MS (${TAG_RECHECK_MS} ms), and not a moment later`, async () => {
    const question = await createQuestion(cast.instructor.headers);
    const test = await createTest(cast.instructor.headers, [[question.id]], { title: "Original" });
    // A miss, then a hit: the hit checks the test's tag and starts this isolate's trust in its copy.
    for (let i = 0; i < 2; i++)
      expect(await json(await get(`/v1/tests/${test.id}`, cast.student.headers))).toMatchObject({ title: "Original" });

    await writeElsewhere(`test:${test.id}`, env.DB.prepare("UPDATE tests SET title = 'Changed elsewhere' WHERE id = ?").bind(test.id));
    // Within the bound this isolate may still serve what it holds…
    expect(await json(await get(`/v1/tests/${test.id}`, cast.student.headers))).toMatchObject({ title: "Original" });
    // …and once the bound has passed it checks the tag again and serves the write.
    clock.advance(TAG_RECHECK_MS);
    expect(await json(await get(`/v1/tests/${test.id}`, cast.student.headers))).toMatchObject({ title: "Changed elsewhere" });
  });
});

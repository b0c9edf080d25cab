import { beforeAll, describe, expect, it } from "vitest";
import { call, sendJson } from "../helpers/http";
import { createCast, createQuestion, createTest, get, json, type Cast } from "../exam/fixtures";

let cast: Cast;

beforeAll(async () => {
  cast = await createCast();
});

const ids = async (res: Response) => (await json<{ data: { id: string }[] }>(res)).data.map((row) => row.id);

/** Who sees what is decided on every request, after the cache: a cached view never reaches a caller it is not for. */
describe("cached reads and who may see them", () => {
  it("never serves a draft test from the cache to anyone but its managers", async () => {
    const question = await createQuestion(cast.instructor.headers);
    const draft = await createTest(cast.instructor.headers, [[question.id]], { published: false });
    // The author's read puts the full view in the cache.
    expect((await get(`/v1/tests/${draft.id}`, cast.instructor.headers)).status).toBe(200);
    for (const outsider of [cast.student, cast.otherInstructor])
      expect((await get(`/v1/tests/${draft.id}`, outsider.headers)).status).toBe(404);
    expect((await get(`/v1/tests/${draft.id}`, cast.admin.headers)).status).toBe(200);
    // Lists are cached per view: the author's list holds the draft, the catalogue and other banks never do.
    expect(await ids(await get("/v1/tests?limit=100", cast.instructor.headers))).toContain(draft.id);
    expect(await ids(await get("/v1/tests?limit=100", cast.student.headers))).not.toContain(draft.id);
    expect(await ids(await get("/v1/tests?limit=100", cast.otherInstructor.headers))).not.toContain(draft.id);
    expect(await ids(await get("/v1/tests?limit=100&published=false", cast.student.headers))).toEqual([]);
  });

  it("serves candidates the candidate view of a test its author read first", async () => {
    const question = await createQuestion(cast.instructor.headers);
    const test = await createTest(cast.instructor.headers, [[question.id]]);
    const managed = await json(await get(`/v1/tests/${test.id}`, cast.instructor.headers));
    expect(managed.sections[0].questionIds).toEqual([question.id]);
    for (const viewer of [cast.student, cast.otherInstructor]) {
      const seen = await json(await get(`/v1/tests/${test.id}`, viewer.headers));
      expect(seen.sections[0]).not.toHaveProperty("questionIds");
      expect(JSON.stringify(seen)).not.toContain(question.id);
    }
  });

  it("keeps each question bank to its author (and admins), detail and list", async () => {
    const mine = await createQuestion(cast.instructor.headers, "MCQ", { subject: "Cached" });
    const theirs = await createQuestion(cast.otherInstructor.headers, "MCQ", { subject: "Cached" });
    expect((await get(`/v1/questions/${mine.id}`, cast.instructor.headers)).status).toBe(200);
    expect((await get(`/v1/questions/${mine.id}`, cast.otherInstructor.headers)).status).toBe(404);
    expect((await get(`/v1/questions/${mine.id}`, cast.student.headers)).status).toBe(403);
    expect((await get(`/v1/questions/${mine.id}`, cast.admin.headers)).status).toBe(200);

    const path = "/v1/questions?subject=Cached&limit=100";
    expect(await ids(await get(path, cast.instructor.headers))).toEqual([mine.id]);
    expect(await ids(await get(path, cast.otherInstructor.headers))).toEqual([theirs.id]);
    expect(await ids(await get(path, cast.admin.headers))).toEqual([theirs.id, mine.id]);
    expect((await get(path, cast.student.headers)).status).toBe(403);
  });

  it("keeps a test's analytics to its managers once they are cached", async () => {
    const question = await createQuestion(cast.instructor.headers);
    const test = await createTest(cast.instructor.headers, [[question.id]]);
    expect((await get(`/v1/tests/${test.id}/analytics`, cast.instructor.headers)).status).toBe(200);
    expect((await get(`/v1/tests/${test.id}/analytics`, cast.otherInstructor.headers)).status).toBe(404);
    expect((await get(`/v1/tests/${test.id}/analytics`, cast.student.headers)).status).toBe(403);
    expect((await get(`/v1/tests/${test.id}/analytics`, cast.admin.headers)).status).toBe(200);
  });

  it("never serves an inactive plan or the admins' catalogue to the public", async () => {
    const created = await sendJson(
      "/v1/plans",
      "POST",
      { name: "Hidden", priceCents: 100, intervalMonths: 1, active: false },
      cast.admin.headers,
    );
    const plan = await json(created);
    expect((await get(`/v1/plans/${plan.id}`, cast.admin.headers)).status).toBe(200);
    expect(await ids(await get("/v1/plans?includeInactive=true", cast.admin.headers))).toContain(plan.id);
    expect((await call(`/v1/plans/${plan.id}`)).status).toBe(404);
    expect((await get(`/v1/plans/${plan.id}`, cast.student.headers)).status).toBe(404);
    expect(await ids(await call("/v1/plans?includeInactive=true"))).not.toContain(plan.id);
    expect(await ids(await get("/v1/plans?includeInactive=true", cast.instructor.headers))).not.toContain(plan.id);
  });
});

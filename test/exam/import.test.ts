import { env } from "cloudflare:workers";
import { beforeAll, describe, expect, it } from "vitest";
import { createUser, type TestUser } from "../helpers/auth";
import { call, problemOf, sendJson } from "../helpers/http";
import { json, SAMPLE_QUESTIONS } from "./fixtures";

let admin: TestUser;
let otherAdmin: TestUser;
let instructor: TestUser;

beforeAll(async () => {
  [admin, otherAdmin, instructor] = await Promise.all([
    createUser({ role: "admin" }),
    createUser({ role: "admin" }),
    createUser({ role: "instructor" }),
  ]);
});

const importQuestions = (body: unknown, headers = admin.headers) => sendJson("/v1/admin/questions/import", "POST", body, headers);

async function questionCount(authorId: string): Promise<number> {
  const row = await env.DB.prepare("SELECT count(*) AS n FROM questions WHERE author_id = ?").bind(authorId).first<{ n: number }>();
  return row!.n;
}

const CSV = [
  "type,body,options,correctOption,correctOptions,answer,min,max,rubric,marks,negativeMarks,difficulty,subject,topic,explanation",
  'MCQ,"Capital of France, in one word?",Paris|Lyon|Nice,0,,,,,,4,1,easy,Geography,Europe,"Paris, since 508"',
  'MSQ,"Pick the ""noble"" gases",Neon|Iron|Argon,,0|2,,,,,4,2,medium,Chemistry,Gases,',
  "INTEGER,Days in a leap year?,,,,366,,,,3,0,easy,General,Calendar,",
  "RANGE,Speed of sound in m/s,,,,,330,350,,3,0,hard,Physics,Waves,",
  'SUBJECTIVE,"Describe\nthe water cycle",,,,,,,Evaporation and rain,5,0,medium,Geography,Climate,',
].join("\r\n");

describe("POST /v1/admin/questions/import", () => {
  it("imports JSON rows from the body, all at once, with one audit row", async () => {
    const before = await questionCount(admin.user.id);
    const res = await importQuestions({ questions: Object.values(SAMPLE_QUESTIONS) });
    expect(res.status, await res.clone().text()).toBe(201);
    const body = await json(res);
    expect(body.imported).toBe(5);
    expect(await questionCount(admin.user.id)).toBe(before + 5);
    const audit = await env.DB.prepare("SELECT metadata FROM audit_logs WHERE action = 'question.imported' AND actor_id = ?")
      .bind(admin.user.id)
      .first<{ metadata: string }>();
    expect(JSON.parse(audit!.metadata)).toMatchObject({ count: 5, source: "json" });
    const got = await json(await call(`/v1/questions/${body.ids[1]}`, { headers: admin.headers }));
    expect(got).toMatchObject({ type: "MSQ", correctOptions: [0, 2] });
  });

  it("changes nothing when any row is bad, and names every bad row", async () => {
    const before = await questionCount(admin.user.id);
    const rows = [
      SAMPLE_QUESTIONS.MCQ,
      { ...SAMPLE_QUESTIONS.MCQ, correctOption: 7 },
      SAMPLE_QUESTIONS.INTEGER,
      { type: "RANGE", body: "x", min: 3, max: 1, subject: "S" },
      "not an object",
    ];
    const res = await importQuestions({ questions: rows });
    expect(res.status).toBe(400);
    const problem = await problemOf(res);
    expect(problem).toMatchObject({ code: "validation_failed", rowCount: 5, failedRows: 3 });
    expect(problem.errors!.map((e) => e.path)).toEqual(["rows.1.correctOption", "rows.3.max", "rows.4"]);
    expect(await questionCount(admin.user.id)).toBe(before);
  });

  it("imports CSV text with quoted commas, quotes, newlines and list cells", async () => {
    const res = await importQuestions({ csv: CSV });
    expect(res.status, await res.clone().text()).toBe(201);
    const { ids } = await json(res);
    const [mcq, msq, integer, range, subjective] = await Promise.all(
      ids.map(async (id: string) => json(await call(`/v1/questions/${id}`, { headers: admin.headers }))),
    );
    expect(mcq).toMatchObject({
      type: "MCQ",
      body: "Capital of France, in one word?",
      options: ["Paris", "Lyon", "Nice"],
      correctOption: 0,
      explanation: "Paris, since 508",
    });
    expect(msq).toMatchObject({ type: "MSQ", body: 'Pick the "noble" gases', correctOptions: [0, 2], topic: "Gases" });
    expect(integer).toMatchObject({ type: "INTEGER", answer: 366 });
    expect(range).toMatchObject({ type: "RANGE", min: 330, max: 350, difficulty: "hard" });
    expect(subjective).toMatchObject({ type: "SUBJECTIVE", rubric: "Evaporation and rain" });
    expect(subjective.body).toContain("water cycle");
  });

  it("rejects a CSV with one bad row or a bad header, importing nothing", async () => {
    const before = await questionCount(admin.user.id);
    const bad = `${CSV}\nMCQ,Broken,A|B,5,,,,,,1,0,easy,Maths,,\nINTEGER,Half?,,,,0.5,,,,1,0,easy,Maths,,`;
    const res = await importQuestions({ csv: bad });
    expect(res.status).toBe(400);
    expect((await problemOf(res)).errors!.map((e) => e.path)).toEqual(["rows.5.correctOption", "rows.6.answer"]);
    const header = await importQuestions({ csv: "type,body,evil\nMCQ,x,y" });
    expect((await problemOf(header)).errors![0]!.message).toMatch(/Unknown columns: evil/);
    const ragged = await importQuestions({ csv: "type,body,subject,answer\nINTEGER,x,Maths" });
    expect((await problemOf(ragged)).errors![0]!.path).toBe("rows.0");
    expect(await questionCount(admin.user.id)).toBe(before);
  });

  it("imports a CSV or JSON file uploaded earlier, only by its owner", async () => {
    const upload = async (headers: Record<string, string>, name: string, type: string, content: string) => {
      const form = new FormData();
      form.append("file", new File([content], name, { type }));
      form.append("purpose", "question_import");
      const res = await call("/v1/uploads", { method: "POST", headers, body: form });
      expect(res.status, await res.clone().text()).toBe(201);
      return (await json(res)).id as string;
    };
    const csvId = await upload(admin.headers, "bank.csv", "text/csv", CSV);
    const fromCsv = await importQuestions({ uploadId: csvId });
    expect(fromCsv.status, await fromCsv.clone().text()).toBe(201);
    expect((await json(fromCsv)).imported).toBe(5);
    const jsonId = await upload(
      admin.headers,
      "bank.json",
      "application/json",
      JSON.stringify([SAMPLE_QUESTIONS.MCQ, SAMPLE_QUESTIONS.RANGE]),
    );
    expect((await json(await importQuestions({ uploadId: jsonId }))).imported).toBe(2);
    expect((await importQuestions({ uploadId: csvId }, otherAdmin.headers)).status).toBe(404);
  });

  it("is for admins only, and refuses bodies of the wrong shape or size", async () => {
    expect((await importQuestions({ questions: [SAMPLE_QUESTIONS.MCQ] }, instructor.headers)).status).toBe(403);
    expect((await importQuestions({ questions: [] })).status).toBe(400);
    expect((await importQuestions({ questions: Array.from({ length: 501 }, () => SAMPLE_QUESTIONS.MCQ) })).status).toBe(400);
    expect((await importQuestions({ csv: "x", questions: [SAMPLE_QUESTIONS.MCQ] })).status).toBe(400);
    expect((await importQuestions({ uploadId: "upl_01JD0000000000000000000000" })).status).toBe(404);
  });
});

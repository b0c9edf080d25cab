import Papa from "papaparse";
import readXlsxFile from "read-excel-file/node";
import { describe, expect, it } from "vitest";
import { createUser } from "../helpers/auth";
import { call } from "../helpers/http";
import { answer, createCast, createFullTest, createQuestion, get, json, startAttempt, submit } from "../exam/fixtures";
import { settleScoring } from "../jobs/helpers";
import { jsonInit } from "../email/helpers";
import { exportHarness } from "./helpers";

const csvRows = (text: string) => Papa.parse<Record<string, string>>(text, { header: true, skipEmptyLines: true });

/** A student's finished, scored attempt with the given answers (by question type). */
async function scoredAttempt(
  student: { headers: Record<string, string> },
  testId: string,
  ids: Record<string, string>,
  answers: Record<string, unknown>,
) {
  const attempt = await startAttempt(student.headers, testId);
  for (const [type, value] of Object.entries(answers))
    expect((await answer(student.headers, attempt.id, ids[type]!, value)).status).toBe(200);
  expect((await submit(student.headers, attempt.id)).status).toBe(202);
  await settleScoring(attempt.id);
  return attempt as { id: string };
}

describe("question bank export", () => {
  it("CSV and JSON are in the import's format: importing either gives back the same questions", async () => {
    const harness = exportHarness();
    const admin = await createUser({ role: "admin" });
    const subject = `Bank-${crypto.randomUUID().slice(0, 8)}`;
    const originals = [
      await createQuestion(admin.headers, "MCQ", { subject, body: '<p>Which is <b>bold</b>, a "quoted", comma, and\nnewline?</p>' }),
      await createQuestion(admin.headers, "MSQ", { subject, options: ["=1+1", "-5 degrees", "@home", "plain"] }),
      await createQuestion(admin.headers, "INTEGER", { subject, topic: null }),
      await createQuestion(admin.headers, "RANGE", { subject }),
      await createQuestion(admin.headers, "SUBJECTIVE", { subject, body: "'=quoted already" }),
    ];
    const shape = (q: Record<string, unknown>) => {
      const { id: _id, authorId: _a, createdAt: _c, updatedAt: _u, deletedAt: _d, imageUploadId: _i, ...rest } = q;
      return rest;
    };
    const produced = [];
    for (const format of ["csv", "json"] as const) {
      const row = await harness.produce(admin, { kind: "question_bank", format, params: { subject } });
      expect(row).toMatchObject({ status: "COMPLETED", rowCount: 5 });
      produced.push({ format, text: await (await harness.download(admin, row.id)).text() });
    }
    for (const { format, text } of produced) {
      const body = format === "csv" ? { csv: text } : { questions: (JSON.parse(text) as { questions: unknown[] }).questions };
      const imported = await call("/v1/admin/questions/import", jsonInit("POST", body, admin.headers));
      expect(imported.status, await imported.clone().text()).toBe(201);
      const { ids } = await json<{ ids: string[] }>(imported);
      const copies = await Promise.all(ids.map(async (id) => json(await get(`/v1/questions/${id}`, admin.headers))));
      expect(copies.map(shape), format).toEqual(originals.map(shape));
    }
  });

  it("an instructor's bank holds only their own questions", async () => {
    const harness = exportHarness();
    const { instructor, otherInstructor } = await createCast();
    const mine = await createQuestion(instructor.headers, "INTEGER");
    const theirs = await createQuestion(otherInstructor.headers, "INTEGER");
    const row = await harness.produce(instructor, { kind: "question_bank", format: "json" });
    const { questions } = JSON.parse(await (await harness.download(instructor, row.id)).text()) as { questions: { body: string }[] };
    expect(questions).toHaveLength(1);
    expect(mine.id).not.toBe(theirs.id);
  });
});

describe("test results export", () => {
  it("CSV: one row per finished attempt with section scores, readable by an independent parser, formula text guarded", async () => {
    const harness = exportHarness();
    const { instructor } = await createCast();
    const { test, ids } = await createFullTest(instructor.headers);
    const alice = await createUser({ name: '=HYPERLINK("http://evil.example","x")' });
    const bob = await createUser({ name: 'Bob, "the" Builder' });
    await scoredAttempt(alice, test.id, ids, { MCQ: 1, MSQ: [0, 2], INTEGER: 6, RANGE: 9.8 });
    await scoredAttempt(bob, test.id, ids, { MCQ: 0, INTEGER: 5 });
    await startAttempt((await createUser()).headers, test.id); // still running: not in the results

    const row = await harness.produce(instructor, {
      kind: "test_results",
      format: "csv",
      params: { testId: test.id },
      byteOrderMark: true,
    });
    expect(row).toMatchObject({ status: "COMPLETED", rowCount: 2, contentType: expect.stringContaining("text/csv") });
    const file = await harness.download(instructor, row.id);
    expect(file.headers.get("Content-Disposition")).toMatch(/^attachment; filename="mock-test-results-[a-z0-9]{8}\.csv"/);
    expect(file.headers.get("X-Content-Type-Options")).toBe("nosniff");
    const bytes = new Uint8Array(await file.arrayBuffer());
    expect([...bytes.slice(0, 3)]).toEqual([0xef, 0xbb, 0xbf]);
    const parsed = csvRows(new TextDecoder().decode(bytes)); // the decoder drops the byte-order mark
    expect(parsed.errors).toEqual([]);
    expect(parsed.meta.fields).toEqual(expect.arrayContaining(["attempt_id", "score", "Section 1 score", "Section 2 accuracy"]));
    const byName = new Map(parsed.data.map((r) => [r.name, r]));
    const a = byName.get(`'=HYPERLINK("http://evil.example","x")`)!;
    expect(a).toBeDefined();
    // MCQ 4 + MSQ 4 (section 1), INTEGER 3 + RANGE 3 (section 2); the subjective answer is unattempted.
    expect(a).toMatchObject({
      status: "SCORED",
      score: "14",
      max_score: "19",
      "Section 1 score": "8",
      "Section 2 score": "6",
      correct: "4",
    });
    const b = byName.get('Bob, "the" Builder')!;
    // Wrong MCQ: -1; wrong INTEGER: 0 (no negative marks).
    expect(b).toMatchObject({ score: "-1", "Section 1 score": "-1", "Section 2 score": "0", incorrect: "2" });
  });

  it("XLSX: a results sheet and a sheet per section, typed cells, read back by an independent reader", async () => {
    const harness = exportHarness();
    const { instructor } = await createCast();
    const { test, ids } = await createFullTest(instructor.headers);
    const student = await createUser({ name: "सुनील कुमार" });
    await scoredAttempt(student, test.id, ids, { MCQ: 1, INTEGER: 6 });
    const row = await harness.produce(instructor, { kind: "test_results", format: "xlsx", params: { testId: test.id } });
    const file = await harness.download(instructor, row.id);
    expect(file.headers.get("Content-Type")).toBe("application/vnd.openxmlformats-officedocument.spreadsheetml.sheet");
    // read-excel-file: an independent reader (its own unzip and XML parser); its Node entry runs under nodejs_compat.
    const sheets = await readXlsxFile(Buffer.from(await file.arrayBuffer()));
    expect(sheets.map((sheet) => sheet.sheet)).toEqual(["Results", "Section 1", "Section 2"]);
    const results = sheets[0]!.data;
    const header = results[0] as string[];
    const cells = results[1]!;
    const cell = (name: string) => cells[header.indexOf(name)];
    expect(cell("name")).toBe("सुनील कुमार");
    expect(cell("score")).toBe(7);
    expect(cell("started_at")).toBeInstanceOf(Date);
    expect(cell("auto_submitted")).toBe(false);
    const section2 = sheets[2]!.data;
    expect(section2[0]).toEqual(["attempt_id", "name", "score", "max_score", "correct", "incorrect", "unattempted", "accuracy"]);
    expect(section2[1]!.slice(2, 7)).toEqual([3, 11, 1, 0, 2]);
  });
});

describe("admin exports", () => {
  it("users CSV lists accounts without credentials", async () => {
    const harness = exportHarness();
    const admin = await createUser({ role: "admin" });
    await createUser({ role: "instructor", name: "Ina Instructor" });
    const row = await harness.produce(admin, { kind: "users", format: "csv", params: { role: "instructor" } });
    const text = await (await harness.download(admin, row.id)).text();
    const parsed = csvRows(text);
    expect(parsed.meta.fields).toEqual([
      "id",
      "email",
      "name",
      "role",
      "email_verified",
      "timezone",
      "target_exam",
      "created_at",
      "last_login_at",
    ]);
    expect(parsed.data.every((r) => r.role === "instructor")).toBe(true);
    expect(parsed.data.some((r) => r.name === "Ina Instructor")).toBe(true);
    expect(text).not.toMatch(/pbkdf2/);
  });

  it("the audit trail as NDJSON, up to the moment it was requested", async () => {
    const harness = exportHarness();
    const admin = await createUser({ role: "admin" });
    const row = await harness.produce(admin, { kind: "audit_logs", format: "ndjson", params: { actorId: admin.user.id } });
    const lines = (await (await harness.download(admin, row.id)).text())
      .trim()
      .split("\n")
      .map((line) => JSON.parse(line));
    expect(lines.length).toBe(row.rowCount);
    expect(lines.length).toBeGreaterThan(0);
    expect(lines.every((entry) => entry.actorId === admin.user.id && Date.parse(entry.createdAt) < row.createdAt)).toBe(true);
    // The link it issued afterwards is not in it.
    expect(lines.some((entry) => entry.action === "export.link_issued")).toBe(false);
  });
});

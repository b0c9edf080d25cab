import Papa from "papaparse";
import { extractText, getDocumentProxy } from "unpdf";
import { describe, expect, it } from "vitest";
import { createUser, type TestUser } from "../helpers/auth";
import { answer, createCast, createFullTest, createQuestion, createTest, startAttempt } from "../exam/fixtures";
import { exportHarness } from "./helpers";

/** The text of every page of a PDF, as a reader copying it would get it (whitespace collapsed). */
async function pdfText(file: Response): Promise<{ pages: number; text: string }> {
  expect(file.headers.get("Content-Type")).toBe("application/pdf");
  const { text, totalPages } = await extractText(await getDocumentProxy(new Uint8Array(await file.arrayBuffer())), { mergePages: true });
  return { pages: totalPages, text: text.replace(/\s+/g, " ") };
}

type Harness = ReturnType<typeof exportHarness>;

/** Starts, answers and submits an attempt through the harness; scoring runs only when asked. */
async function takeTest(harness: Harness, taker: TestUser, testId: string, answers: [string, unknown][], score = true) {
  const attempt = await startAttempt(taker.headers, testId);
  for (const [questionId, value] of answers) expect((await answer(taker.headers, attempt.id, questionId, value)).status).toBe(200);
  expect((await harness.request(`/v1/attempts/${attempt.id}/submit`, { method: "POST", headers: taker.headers })).status).toBe(202);
  if (score) await harness.runScoring();
  return attempt as { id: string };
}

describe("result card", () => {
  it("shows the candidate (Devanagari included), score, sections, and per question the outcome, key and explanation", async () => {
    const harness = exportHarness();
    const { instructor } = await createCast();
    const { test, ids } = await createFullTest(instructor.headers, { title: "Mock test Ångström" });
    const student = await createUser({ name: "सुनील कुमार" });
    const attempt = await takeTest(harness, student, test.id, [
      [ids.MCQ, 1],
      [ids.MSQ, [0]],
      [ids.INTEGER, 6],
    ]);
    const row = await harness.produce(student, { kind: "attempt_result_card", format: "pdf", params: { attemptId: attempt.id } });
    expect(row.status).toBe("COMPLETED");
    const { text, pages } = await pdfText(await harness.download(student, row.id));
    expect(text).toContain("Result card");
    expect(text).toContain("सुनील कुमार");
    expect(text).toContain("Mock test Ångström");
    // MCQ 4, MSQ wrong (-2), INTEGER 3: 5 of 19.
    expect(text).toMatch(/5 \/ 19/);
    expect(text).toContain("Section 1");
    expect(text).toMatch(/B\. 4/); // the MCQ's answer in words
    expect(text).toContain("Incorrect");
    expect(text).toContain("Basic addition."); // the explanation, once scored
    expect(text).toContain(`Page ${pages} of ${pages}`);
  });

  it("before scoring: the responses only, no key, no explanation", async () => {
    const harness = exportHarness();
    const { instructor } = await createCast();
    const { test, ids } = await createFullTest(instructor.headers);
    const student = await createUser({ name: "Zoë Student" });
    const attempt = await takeTest(harness, student, test.id, [[ids.MCQ, 2]], false);
    const row = await harness.produce(student, { kind: "attempt_result_card", format: "pdf", params: { attemptId: attempt.id } });
    const { text } = await pdfText(await harness.download(student, row.id));
    expect(text).toContain("Zoë Student");
    expect(text).toContain("Not scored yet");
    expect(text).toMatch(/C\. 5/);
    expect(text).not.toContain("Basic addition.");
    expect(text).not.toContain("Correct answer");
  });
});

describe("test analytics report", () => {
  it("prints difficulty and discrimination indices that match the hand computation", async () => {
    const harness = exportHarness();
    const { instructor } = await createCast();
    const q = [
      (await createQuestion(instructor.headers, "MCQ")).id,
      (await createQuestion(instructor.headers, "MCQ")).id,
      (await createQuestion(instructor.headers, "MCQ")).id,
    ];
    const test = await createTest(instructor.headers, [q], { title: "Item analysis" });
    const takers = await Promise.all([createUser(), createUser(), createUser(), createUser()]);
    // MCQ: 4 marks, -1 when wrong; option 1 ("4") is right.
    // S1: right, right, wrong = 7 (the upper group: n = round(0.27 × 4) = 1)
    // S2: right, wrong, blank = 3;  S3: wrong, right, blank = 3
    // S4: wrong, wrong, right = 2 (the lower group)
    // Q1: p = 2/4 = 0.50, D = (1 − 0)/1 = 1.00; chosen: A by S3, B by S1 and S2, C by S4 → A 25% B 50% C 25% D 0%
    // Q2: p = 0.50, D = 1.00;  Q3: p = 1/4 = 0.25, D = (0 − 1)/1 = −1.00
    const plans: [unknown, unknown, unknown][] = [
      [1, 1, 0],
      [1, 0, null],
      [0, 1, null],
      [2, 3, 1],
    ];
    for (const [i, taker] of takers.entries()) {
      const answers = plans[i]!.flatMap((value, j) => (value === null ? [] : [[q[j]!, value] as [string, unknown]]));
      await takeTest(harness, taker, test.id, answers);
    }
    const row = await harness.produce(instructor, { kind: "test_analytics", format: "pdf", params: { testId: test.id } });
    expect(row).toMatchObject({ status: "COMPLETED", rowCount: 3 });
    const { text } = await pdfText(await harness.download(instructor, row.id));
    expect(text).toContain("Test analytics");
    expect(text).toContain("Score distribution");
    expect(text).toMatch(/Scored attempts 4/);
    expect(text.match(/0\.50 moderate/g)).toHaveLength(2);
    expect(text.match(/1\.00 excellent/g)).toHaveLength(2);
    expect(text).toMatch(/0\.25 hard/);
    expect(text).toMatch(/-1\.00 negative/);
    expect(text).toMatch(/A 25%\s*B 50%\s*C 25%\s*D 0%/);
  });
});

describe("performance report", () => {
  it("PDF and CSV over the student's scored attempts: scores, accuracy by subject and topic", async () => {
    const harness = exportHarness();
    const { instructor } = await createCast();
    const { test, ids } = await createFullTest(instructor.headers);
    const student = await createUser({ name: "Perf Student" });
    await takeTest(harness, student, test.id, [
      [ids.MCQ, 1],
      [ids.MSQ, [0, 2]],
      [ids.INTEGER, 5],
      [ids.RANGE, 9.8],
    ]);
    await takeTest(harness, student, test.id, [
      [ids.MCQ, 0],
      [ids.INTEGER, 6],
    ]);

    const csv = await harness.produce(student, { kind: "performance_report", format: "csv" });
    const parsed = Papa.parse<Record<string, string>>(await (await harness.download(student, csv.id)).text(), {
      header: true,
      skipEmptyLines: true,
    });
    expect(parsed.errors).toEqual([]);
    const attempts = parsed.data.filter((r) => r.record === "attempt");
    expect(attempts.map((r) => r.score)).toEqual(["11", "2"]);
    const arithmetic = parsed.data.find((r) => r.record === "topic" && r.topic === "Arithmetic")!;
    expect(arithmetic).toMatchObject({ subject: "Maths", attempted: "2", correct: "1", accuracy: "0.5" });

    const pdf = await harness.produce(student, { kind: "performance_report", format: "pdf" });
    const { text } = await pdfText(await harness.download(student, pdf.id));
    expect(text).toContain("Performance report");
    expect(text).toContain("Perf Student");
    expect(text).toContain("Score over time");
    expect(text).toContain("Maths / Arithmetic");
    expect(text).toMatch(/Scored attempts 2/);
  });
});

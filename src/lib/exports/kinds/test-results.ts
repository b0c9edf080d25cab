import { z } from "zod";
import { asc, eq } from "drizzle-orm";
import { testSections, type AttemptResult, type AttemptSectionResult } from "../../../db/schema";
import { csvRow } from "../../csv";
import { defineExportKind } from "../kind";
import { csvOutput } from "../csv-output";
import type { ExportRun } from "../run";
import { XlsxWriter, type XlsxCell, type XlsxColumn } from "../xlsx";
import { managedTest, testIdParam } from "./access";

/** Attempts read per D1 query: the writer holds one page at a time. */
const PAGE_ROWS = 1000;

interface AttemptRow {
  id: string;
  user_id: string;
  name: string;
  email: string;
  status: string;
  started_at: number;
  submitted_at: number | null;
  auto_submitted: number;
  score: number | null;
  max_score: number | null;
  provisional: number;
  result: string | null;
}

/** A finished attempt with its result read once; scores only once it is scored. */
interface FinishedAttempt extends Omit<AttemptRow, "result"> {
  result: AttemptResult | null;
}

const ATTEMPT_COLUMNS: XlsxColumn[] = [
  { header: "attempt_id", type: "string", width: 32 },
  { header: "user_id", type: "string", width: 32 },
  { header: "name", type: "string", width: 24 },
  { header: "email", type: "string", width: 28 },
  { header: "status", type: "string", width: 11 },
  { header: "started_at", type: "datetime", width: 20 },
  { header: "submitted_at", type: "datetime", width: 20 },
  { header: "auto_submitted", type: "boolean", width: 8 },
  { header: "time_taken_seconds", type: "integer", width: 10 },
  { header: "score", type: "number", width: 9 },
  { header: "max_score", type: "number", width: 9 },
  { header: "percent", type: "number", width: 9 },
  { header: "accuracy", type: "percent", width: 9 },
  { header: "correct", type: "integer", width: 8 },
  { header: "incorrect", type: "integer", width: 8 },
  { header: "unattempted", type: "integer", width: 8 },
  { header: "provisional", type: "boolean", width: 8 },
];

const SECTION_COLUMNS: XlsxColumn[] = [
  { header: "attempt_id", type: "string", width: 32 },
  { header: "name", type: "string", width: 24 },
  { header: "score", type: "number", width: 9 },
  { header: "max_score", type: "number", width: 9 },
  { header: "correct", type: "integer", width: 8 },
  { header: "incorrect", type: "integer", width: 8 },
  { header: "unattempted", type: "integer", width: 8 },
  { header: "accuracy", type: "percent", width: 9 },
];

const round = (n: number, places = 2) => Math.round(n * 10 ** places) / 10 ** places;
const sum = (sections: AttemptSectionResult[], field: "correct" | "incorrect" | "unattempted") =>
  sections.reduce((total, section) => total + section[field], 0);

/** One attempt's cells, in ATTEMPT_COLUMNS order. Scores are empty until the attempt is scored. */
function attemptCells(attempt: FinishedAttempt): XlsxCell[] {
  const result = attempt.result;
  return [
    attempt.id,
    attempt.user_id,
    attempt.name,
    attempt.email,
    attempt.status,
    new Date(attempt.started_at),
    attempt.submitted_at === null ? null : new Date(attempt.submitted_at),
    attempt.auto_submitted === 1,
    result?.timeTakenSeconds ?? null,
    result?.score ?? null,
    result?.maxScore ?? null,
    result && result.maxScore > 0 ? round((result.score / result.maxScore) * 100) : null,
    result?.accuracy ?? null,
    result ? sum(result.sections, "correct") : null,
    result ? sum(result.sections, "incorrect") : null,
    result ? sum(result.sections, "unattempted") : null,
    attempt.provisional === 1,
  ];
}

/** Score, max and accuracy of each of the test's sections (empty until scored). */
const sectionScores = (attempt: FinishedAttempt, sectionCount: number): XlsxCell[] =>
  Array.from({ length: sectionCount }, (_, i) => attempt.result?.sections[i]).flatMap((section) =>
    section ? [section.score, section.maxScore, section.accuracy] : [null, null, null],
  );

/** Every finished attempt of the test, a page at a time, oldest first. */
async function* finishedAttempts(run: ExportRun, testId: string): AsyncGenerator<FinishedAttempt[]> {
  let after = "";
  for (;;) {
    const { results } = await run.d1
      .prepare(
        `SELECT a.id, a.user_id, u.name, u.email, a.status, a.started_at, a.submitted_at, a.auto_submitted, a.score, a.max_score,
           a.provisional, a.result
         FROM attempts a JOIN users u ON u.id = a.user_id
         WHERE a.test_id = ? AND a.status != 'IN_PROGRESS' AND a.id > ? ORDER BY a.id LIMIT ${PAGE_ROWS}`,
      )
      .bind(testId, after)
      .all<AttemptRow>();
    if (results.length > 0) {
      yield results.map((row) => ({
        ...row,
        result: row.status === "SCORED" && row.result ? (JSON.parse(row.result) as AttemptResult) : null,
      }));
    }
    if (results.length < PAGE_ROWS) return;
    after = results.at(-1)!.id;
  }
}

/**
 * A test's results for its instructor: one row per finished attempt with its section scores (CSV), or
 * a workbook with that sheet and one sheet per section (XLSX). Each sheet is one pass over the
 * attempts, a page at a time, so 100,000 attempts never sit in memory together.
 */
export const testResultsExport = defineExportKind({
  summary: "Test results (instructor): one row per attempt with section scores (CSV, XLSX with a sheet per section)",
  formats: ["csv", "xlsx"],
  roles: ["instructor", "admin"],
  params: z.strictObject({ testId: testIdParam }),
  async authorize(db, requester, params) {
    return `${(await managedTest(db, requester, params.testId)).title}-results`;
  },
  async write(run, params) {
    const sections = await run.db
      .select({ title: testSections.title })
      .from(testSections)
      .where(eq(testSections.testId, params.testId))
      .orderBy(asc(testSections.position));
    const total =
      (
        await run.d1
          .prepare("SELECT count(*) AS n FROM attempts WHERE test_id = ? AND status != 'IN_PROGRESS'")
          .bind(params.testId)
          .first<{ n: number }>()
      )?.n ?? 0;
    const sectionHeaders = sections.flatMap(({ title }) => [`${title} score`, `${title} max`, `${title} accuracy`]);
    const passes = run.row.format === "xlsx" ? sections.length + 1 : 1;
    let done = 0;
    let written = 0;
    const advance = async (rows: number) => {
      done += rows;
      await run.progress(done, total * passes);
    };

    if (run.row.format === "csv") {
      const out = await csvOutput(run, [...ATTEMPT_COLUMNS.map((column) => column.header), ...sectionHeaders]);
      for await (const page of finishedAttempts(run, params.testId)) {
        for (const attempt of page) {
          const cells = [...attemptCells(attempt), ...sectionScores(attempt, sections.length)];
          await out.write(csvRow(cells.map((cell) => (cell instanceof Date ? cell.toISOString() : cell))));
        }
        written += page.length;
        await advance(page.length);
      }
      await out.flush();
      return written;
    }

    const workbook = new XlsxWriter((chunk) => run.write(chunk));
    await workbook.startSheet("Results", [
      ...ATTEMPT_COLUMNS,
      ...sectionHeaders.map((header): XlsxColumn => ({ header, type: header.endsWith("accuracy") ? "percent" : "number", width: 12 })),
    ]);
    for await (const page of finishedAttempts(run, params.testId)) {
      for (const attempt of page) await workbook.addRow([...attemptCells(attempt), ...sectionScores(attempt, sections.length)]);
      written += page.length;
      await advance(page.length);
    }
    await workbook.endSheet();
    for (const [index, { title }] of sections.entries()) {
      await workbook.startSheet(title, SECTION_COLUMNS);
      for await (const page of finishedAttempts(run, params.testId)) {
        for (const attempt of page) {
          const section = attempt.result?.sections[index];
          await workbook.addRow([
            attempt.id,
            attempt.name,
            section?.score,
            section?.maxScore,
            section?.correct,
            section?.incorrect,
            section?.unattempted,
            section?.accuracy,
          ]);
        }
        await advance(page.length);
      }
      await workbook.endSheet();
    }
    await workbook.finish();
    return written;
  },
});

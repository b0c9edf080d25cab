import { and, asc, eq, gt, isNull } from "drizzle-orm";
import { z } from "zod";
import { csvRow } from "../../csv";
import { ApiError } from "../../errors";
import { QUESTION_CSV_COLUMNS } from "../../exam/question-import";
import { questionAsInput } from "../../exam/questions";
import { idInput } from "../../validation/ids";
import { plainText } from "../../validation/text";
import { questions, type Question } from "../../../db/schema";
import { defineExportKind } from "../kind";
import { csvOutput } from "../csv-output";
import { TextOutput } from "../run";

const PAGE_ROWS = 500;

/**
 * A question in the import's dialect (POST /v1/admin/questions/import), so export → import round-trips.
 * Image references stay out: an upload belongs to its owner and would not import elsewhere.
 */
function importable(question: Question): Record<string, unknown> {
  const { imageUploadId: _image, ...input } = questionAsInput(question);
  return input;
}

/** The CSV import's cells: list values joined with `|`, empty for what the type does not use. */
function csvRecord(input: Record<string, unknown>): string {
  return csvRow(
    QUESTION_CSV_COLUMNS.map((column) => {
      const value = input[column];
      return Array.isArray(value) ? value.join("|") : value;
    }),
  );
}

/**
 * The question bank in the import's own format (CSV or JSON). An instructor exports their own
 * questions; an admin every author's, or one author's with `authorId`. Deleted questions stay out.
 */
export const questionBankExport = defineExportKind({
  summary: "Question bank: your questions in the import format (CSV or JSON)",
  formats: ["csv", "json"],
  roles: ["instructor", "admin"],
  params: z.strictObject({
    subject: plainText({ max: 100 }).optional(),
    authorId: idInput("user").optional(),
  }),
  async authorize(_db, requester, params) {
    if (params.authorId && requester.role !== "admin" && params.authorId !== requester.id) {
      throw new ApiError("forbidden", "Only admins export another author's questions.");
    }
    return params.subject ? `questions-${params.subject}` : "questions";
  },
  async write(run, params) {
    const author = run.requester.role === "admin" ? params.authorId : run.requester.id;
    const where = and(
      isNull(questions.deletedAt),
      author ? eq(questions.authorId, author) : undefined,
      params.subject ? eq(questions.subject, params.subject) : undefined,
    );
    const total = await run.db.$count(questions, where);
    const csv = run.row.format === "csv";
    const out = csv ? await csvOutput(run, QUESTION_CSV_COLUMNS) : new TextOutput((chunk) => run.write(chunk));
    if (!csv) await out.write('{"questions":[');
    let after = "";
    let written = 0;
    for (;;) {
      const results = await run.db
        .select()
        .from(questions)
        .where(and(where, gt(questions.id, after)))
        .orderBy(asc(questions.id))
        .limit(PAGE_ROWS);
      for (const row of results) {
        const input = importable(row);
        await out.write(csv ? csvRecord(input) : `${written > 0 ? "," : ""}\n${JSON.stringify(input)}`);
        written++;
      }
      await run.progress(written, total);
      if (results.length < PAGE_ROWS) break;
      after = results.at(-1)!.id;
    }
    if (!csv) await out.write("\n]}\n");
    await out.flush();
    return written;
  },
});

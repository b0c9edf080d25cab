import { eq } from "drizzle-orm";
import { z } from "zod";
import { Hono, type Context } from "hono";
import { auditInsert } from "../lib/audit/writer";
import { cache, invalidationStatement } from "../lib/cache";
import { clock } from "../lib/clock";
import { ApiError } from "../lib/errors";
import { caller } from "../lib/exam/access";
import { ALL_QUESTIONS_TAG, questionBankTag } from "../lib/exam/cache-keys";
import { csvToRows, prepareImport } from "../lib/exam/question-import";
import { toQuestionContent } from "../lib/exam/questions";
import { newId } from "../lib/ids";
import { MAX_IMPORT_ROWS, questionImportInput, type QuestionImportInput } from "../lib/validation/questions";
import { validate } from "../lib/validation/validate";
import { requireRole, requireScope } from "../middleware/auth";
import { rateLimit } from "../middleware/rate-limit";
import { questions, uploads, type NewQuestion } from "../db/schema";
import type { AppEnv } from "../env";
import { operationsOf } from "../openapi/describe";
import { prefixedId } from "../openapi/schemas/primitives";
import { indexQuestionsById } from "../lib/search/indexer";

const MAX_IMPORT_FILE_BYTES = 2 * 1024 * 1024;
const describe = operationsOf("Admin: questions");

/** D1 binds at most 100 parameters per statement; a question row has 15 columns. */
const ROWS_PER_INSERT = 6;

/** The rows to import, from the body or from an upload the caller owns (CSV or JSON by type or name). */
async function importRows(c: Context<AppEnv>, input: QuestionImportInput): Promise<{ rows: unknown[]; source: string }> {
  if ("questions" in input) return { rows: input.questions, source: "json" };
  let text: string;
  let format: "csv" | "json";
  if ("csv" in input) {
    text = input.csv;
    format = "csv";
  } else {
    const upload = await c.var.db.query.uploads.findFirst({ where: eq(uploads.id, input.uploadId) });
    if (!upload || upload.ownerId !== caller(c).userId) throw ApiError.notFound("upload");
    const name = upload.filename.toLowerCase();
    if (upload.contentType.includes("csv") || name.endsWith(".csv")) format = "csv";
    else if (upload.contentType.includes("json") || name.endsWith(".json")) format = "json";
    else throw new ApiError("unsupported_file_type", "Import a .csv or .json file.");
    if (upload.size > MAX_IMPORT_FILE_BYTES)
      throw new ApiError("payload_too_large", `An import file holds at most ${MAX_IMPORT_FILE_BYTES} bytes.`);
    const object = await c.env.FILES.get(upload.key);
    if (!object) throw ApiError.notFound("upload");
    text = await object.text();
  }
  if (format === "csv") {
    const parsed = csvToRows(text);
    if ("errors" in parsed) throw ApiError.validation(parsed.errors, "The CSV could not be read.");
    return { rows: parsed.rows, source: "csv" };
  }
  let data: unknown;
  try {
    data = JSON.parse(text);
  } catch {
    throw new ApiError("malformed_json", "The uploaded file is not valid JSON.");
  }
  const rows = Array.isArray(data) ? data : (data as { questions?: unknown })?.questions;
  if (!Array.isArray(rows) || rows.length === 0) {
    throw ApiError.validation([{ path: "uploadId", message: "Expected a JSON array of questions (or { questions: [...] })" }]);
  }
  return { rows, source: "json_upload" };
}

export const adminQuestionRoutes = new Hono<AppEnv>().use("*", rateLimit({ policy: "api" })).post(
  "/import",
  describe({
    summary: "Import questions (rows, or an uploaded CSV or JSON file)",
    description: "All or nothing: one invalid row imports none and lists every row's errors.",
    responses: { 201: ["The imported questions' ids", z.object({ imported: z.number().int(), ids: z.array(prefixedId("question")) })] },
    errors: ["not_found", "unsupported_file_type", "payload_too_large", "malformed_json"],
  }),
  requireScope("questions:write", "admin:write"),
  requireRole("admin"),
  validate("json", questionImportInput),
  async (c) => {
    const auth = caller(c);
    const { rows, source } = await importRows(c, c.req.valid("json"));
    if (rows.length > MAX_IMPORT_ROWS) {
      throw ApiError.validation([{ path: "rows", message: `At most ${MAX_IMPORT_ROWS} questions per import; got ${rows.length}` }]);
    }
    const prepared = prepareImport(rows);
    if ("errors" in prepared) {
      const failedRows = new Set(prepared.errors.map((error) => error.path.split(".")[1])).size;
      throw new ApiError("validation_failed", `${failedRows} of ${rows.length} rows are invalid; nothing was imported.`, {
        errors: prepared.errors,
        extensions: { rowCount: rows.length, failedRows },
      });
    }
    const now = clock.now();
    const values: NewQuestion[] = prepared.questions.map((input) => ({
      id: newId("question", now),
      authorId: auth.userId,
      ...toQuestionContent(input),
      createdAt: now,
      updatedAt: now,
    }));
    const db = c.var.db;
    const inserts = [];
    for (let i = 0; i < values.length; i += ROWS_PER_INSERT)
      inserts.push(db.insert(questions).values(values.slice(i, i + ROWS_PER_INSERT)));
    // All or nothing: every insert and the audit row commit in one batch.
    const [bumped] = await db.batch([
      invalidationStatement(db, [questionBankTag(auth.userId), ALL_QUESTIONS_TAG]),
      auditInsert(c, {
        action: "question.imported",
        target: { type: "question" },
        metadata: { count: values.length, source, firstId: values[0]!.id, lastId: values.at(-1)!.id },
      }),
      ...inserts,
    ]);
    cache.tagsInvalidated(bumped);
    const ids = values.map((value) => value.id);
    // An import emits no event per question: its rows go into the search index from here.
    c.executionCtx.waitUntil(
      indexQuestionsById(db, ids).catch((error: unknown) => c.var.logger.error("imported questions not indexed", { error: String(error) })),
    );
    return c.json({ imported: values.length, ids }, 201);
  },
);

import { and, desc, eq, isNull, lt, sql, type SQL } from "drizzle-orm";
import { Hono, type Context } from "hono";
import { auditInsert } from "../lib/audit/writer";
import { cache, cacheContext, cacheKey, invalidationStatement, type CacheContext } from "../lib/cache";
import { clock } from "../lib/clock";
import { ApiError } from "../lib/errors";
import { eventStatements } from "../lib/events/emit";
import { caller, canManage, isAdmin } from "../lib/exam/access";
import {
  ALL_QUESTIONS_TAG,
  EXAM_CACHE_TTL_MS,
  questionBankTag,
  questionTag,
  questionWriteTags,
  testsHoldingQuestion,
} from "../lib/exam/cache-keys";
import { findOwnUpload } from "../lib/exam/uploads";
import { prepareQuestion, presentQuestion, questionAsInput, questionEventData, toQuestionContent } from "../lib/exam/questions";
import { newId } from "../lib/ids";
import { decodeCursor, idCursor, toPage } from "../lib/validation/pagination";
import { questionInput, questionListQuery, questionPatch, type QuestionInput } from "../lib/validation/questions";
import { validate } from "../lib/validation/validate";
import { requireRole, requireScope } from "../middleware/auth";
import { rateLimit } from "../middleware/rate-limit";
import { containsText } from "../db/contains";
import { questions, tests, testSectionQuestions, testSections, type Question } from "../db/schema";
import type { AppEnv } from "../env";
import { operationsOf } from "../openapi/describe";
import { page } from "../openapi/schemas/primitives";
import { questionSchema } from "../openapi/schemas/question";

const manageQuestions = [requireScope("questions:write"), requireRole("instructor", "admin")] as const;
const readQuestions = [requireScope("questions:read"), requireRole("instructor", "admin")] as const;

const describe = operationsOf("Questions");

/** Validates + sanitises a body; a referenced image must be an image upload the caller owns. */
async function prepareOrThrow(c: Context<AppEnv>, raw: unknown): Promise<QuestionInput> {
  const prepared = prepareQuestion(raw);
  if ("errors" in prepared) throw ApiError.validation(prepared.errors, "Invalid body.");
  const imageId = prepared.value.imageUploadId;
  if (imageId) {
    const upload = await findOwnUpload(c.var.db, caller(c), imageId);
    if (!upload?.contentType.startsWith("image/")) {
      throw ApiError.validation([{ path: "imageUploadId", message: "No such image upload" }], "Invalid body.");
    }
  }
  return prepared.value;
}

/** A live question the caller manages, or 404 (never "forbidden": ids of others' questions stay unconfirmed). */
async function findManagedQuestion(c: Context<AppEnv>, id: string) {
  const question = await c.var.db.query.questions.findFirst({ where: and(eq(questions.id, id), isNull(questions.deletedAt)) });
  if (!question || !canManage(caller(c), question.authorId)) throw ApiError.notFound("question");
  return question;
}

/** A live question's full view through the cache (the same for everyone: callers check access on it), or 404. */
function questionView(ctx: CacheContext, id: string) {
  return cache.getOrSet(ctx, cacheKey("question", { id }), { ttlMs: EXAM_CACHE_TTL_MS, tags: [questionTag(id)] }, async () => {
    const question = await ctx.db.query.questions.findFirst({ where: and(eq(questions.id, id), isNull(questions.deletedAt)) });
    if (!question) throw ApiError.notFound("question");
    return presentQuestion(question);
  });
}

/** A question event for the change's batch: about the question, owned by its author. */
function questionEvent(
  c: Context<AppEnv>,
  type: "question.created" | "question.updated",
  row: Pick<Question, "id" | "authorId" | "type" | "subject"> & { topic?: string | null; difficulty?: Question["difficulty"] },
  now: number,
  when?: SQL,
) {
  return eventStatements(
    c.var.db,
    caller(c).userId,
    {
      type,
      aggregateId: row.id,
      ownerId: row.authorId,
      data: questionEventData(row),
      when,
    },
    now,
  );
}

export const questionRoutes = new Hono<AppEnv>()
  .use("*", rateLimit({ policy: "api" }))
  .post(
    "/",
    describe({ summary: "Create a question", responses: { 201: ["The question", questionSchema] } }),
    ...manageQuestions,
    validate("json", questionInput),
    async (c) => {
      const auth = caller(c);
      const input = await prepareOrThrow(c, c.req.valid("json"));
      const now = clock.now();
      const row = { id: newId("question", now), authorId: auth.userId, ...toQuestionContent(input), createdAt: now, updatedAt: now };
      const db = c.var.db;
      const event = questionEvent(c, "question.created", row, now);
      const [bumped, [created]] = await db.batch([
        invalidationStatement(db, questionWriteTags(row.id, row.authorId)),
        db.insert(questions).values(row).returning(),
        auditInsert(c, {
          action: "question.created",
          target: { type: "question", id: row.id },
          after: { type: row.type, subject: row.subject },
        }),
        ...event.statements,
      ]);
      cache.tagsInvalidated(bumped);
      c.executionCtx.waitUntil(event.send(c.env));
      return c.json(presentQuestion(created!), 201, { Location: `/v1/questions/${row.id}` });
    },
  )
  // The question bank's search and browse endpoint: the `search` policy (scrapers) on top of `api`.
  .get(
    "/",
    describe({
      summary: "List or search your questions",
      description: "Instructors see their own questions, admins all; `q` searches the body.",
      responses: { 200: ["A page of questions, newest first", page(questionSchema)] },
    }),
    rateLimit({ policy: "search" }),
    ...readQuestions,
    validate("query", questionListQuery),
    async (c) => {
      const auth = caller(c);
      const query = c.req.valid("query");
      const after = query.cursor ? decodeCursor(query.cursor, idCursor).id : undefined;
      const load = async () => {
        const filters: (SQL | undefined)[] = [isNull(questions.deletedAt)];
        if (!isAdmin(auth)) filters.push(eq(questions.authorId, auth.userId));
        if (query.subject) filters.push(eq(questions.subject, query.subject));
        if (query.topic) filters.push(eq(questions.topic, query.topic));
        if (query.type) filters.push(eq(questions.type, query.type));
        if (query.difficulty) filters.push(eq(questions.difficulty, query.difficulty));
        if (query.status) filters.push(eq(questions.status, query.status));
        if (query.q) filters.push(containsText(questions.body, query.q));
        if (after) filters.push(lt(questions.id, after));
        const rows = await c.var.db
          .select()
          .from(questions)
          .where(and(...filters))
          .orderBy(desc(questions.id))
          .limit(query.limit + 1);
        return toPage(rows, query.limit, (row) => ({ id: row.id }), presentQuestion);
      };
      // Free-text search is not cached: nearly every search is new, so it would only fill D1 with rows read once.
      if (query.q) return c.json(await load());
      const { subject, topic, type, difficulty, status, limit } = query;
      const [bank, tag] = isAdmin(auth) ? ["*", ALL_QUESTIONS_TAG] : [auth.userId, questionBankTag(auth.userId)];
      const key = cacheKey("questions:list", { bank, subject, topic, type, difficulty, status, after, limit });
      return c.json(await cache.getOrSet(cacheContext(c), key, { ttlMs: EXAM_CACHE_TTL_MS, tags: [tag] }, load));
    },
  )
  .get(
    "/:id",
    describe({
      summary: "Read a question with its answer key",
      responses: { 200: ["The question", questionSchema] },
      errors: ["not_found"],
    }),
    ...readQuestions,
    async (c) => {
      const question = await questionView(cacheContext(c), c.req.param("id"));
      if (!canManage(caller(c), question.authorId)) throw ApiError.notFound("question");
      return c.json(question);
    },
  )
  .patch(
    "/:id",
    describe({ summary: "Edit a question", responses: { 200: ["The question", questionSchema] }, errors: ["not_found"] }),
    ...manageQuestions,
    validate("json", questionPatch),
    async (c) => {
      const existing = await findManagedQuestion(c, c.req.param("id"));
      const patch = c.req.valid("json");
      // A type change starts from the shared fields only: the old type's answer fields do not carry over.
      const base = questionAsInput(existing);
      if (patch.type && patch.type !== existing.type) {
        for (const key of ["options", "correctOption", "correctOptions", "answer", "min", "max", "rubric"]) delete base[key];
      }
      const input = await prepareOrThrow(c, { ...base, ...patch });
      const now = clock.now();
      const content = toQuestionContent(input);
      const db = c.var.db;
      // Only if the update found the question still live (a concurrent delete makes it a 404 with no event).
      const live = sql`exists (select 1 from ${questions} where ${and(eq(questions.id, existing.id), isNull(questions.deletedAt))})`;
      const event = questionEvent(c, "question.updated", { ...existing, ...content }, now, live);
      const [bumped, [updated]] = await db.batch([
        // Its marks count in the totals of every test holding it.
        invalidationStatement(db, questionWriteTags(existing.id, existing.authorId), testsHoldingQuestion(existing.id)),
        db
          .update(questions)
          .set({ ...content, updatedAt: now })
          .where(and(eq(questions.id, existing.id), isNull(questions.deletedAt)))
          .returning(),
        auditInsert(c, {
          action: "question.updated",
          target: { type: "question", id: existing.id },
          before: questionAsInput(existing),
          after: { ...base, ...input },
        }),
        ...event.statements,
      ]);
      cache.tagsInvalidated(bumped);
      if (!updated) throw ApiError.notFound("question");
      c.executionCtx.waitUntil(event.send(c.env));
      return c.json(presentQuestion(updated));
    },
  )
  .post(
    "/:id/publish",
    describe({
      summary: "Publish a draft question",
      description: "AI-generated questions are saved as drafts; once reviewed (and edited if need be), publishing lets tests use them.",
      responses: { 200: ["The question", questionSchema] },
      errors: ["not_found", "conflict"],
    }),
    ...manageQuestions,
    async (c) => {
      const existing = await findManagedQuestion(c, c.req.param("id"));
      if (existing.status === "published") throw new ApiError("conflict", "The question is already published.");
      const now = clock.now();
      const db = c.var.db;
      const isDraft = and(eq(questions.id, existing.id), eq(questions.status, "draft"), isNull(questions.deletedAt));
      const event = questionEvent(c, "question.updated", existing, now, sql`exists (select 1 from ${questions} where ${isDraft})`);
      const [bumped, [published]] = await db.batch([
        invalidationStatement(db, questionWriteTags(existing.id, existing.authorId)),
        db.update(questions).set({ status: "published", updatedAt: now }).where(isDraft).returning(),
        auditInsert(c, {
          action: "question.updated",
          target: { type: "question", id: existing.id },
          before: { status: existing.status },
          after: { status: "published" },
        }),
        ...event.statements,
      ]);
      cache.tagsInvalidated(bumped);
      if (!published) throw new ApiError("conflict", "The question is no longer a draft.");
      c.executionCtx.waitUntil(event.send(c.env));
      return c.json(presentQuestion(published));
    },
  )
  .delete(
    "/:id",
    describe({ summary: "Delete a question", responses: { 204: "Deleted" }, errors: ["not_found", "conflict"] }),
    ...manageQuestions,
    async (c) => {
      const existing = await findManagedQuestion(c, c.req.param("id"));
      const inUse = await c.var.db
        .select({ testId: tests.id })
        .from(testSectionQuestions)
        .innerJoin(testSections, eq(testSections.id, testSectionQuestions.sectionId))
        .innerJoin(tests, eq(tests.id, testSections.testId))
        .where(and(eq(testSectionQuestions.questionId, existing.id), isNull(tests.deletedAt)))
        .limit(1);
      if (inUse.length > 0) {
        throw new ApiError("conflict", "The question is part of a test; remove it from the test first.", {
          extensions: { testId: inUse[0]!.testId },
        });
      }
      const now = clock.now();
      const db = c.var.db;
      const deleted = eventStatements(
        db,
        caller(c).userId,
        {
          type: "question.deleted",
          aggregateId: existing.id,
          ownerId: existing.authorId,
          data: { questionId: existing.id, authorId: existing.authorId },
        },
        now,
      );
      const [bumped] = await db.batch([
        invalidationStatement(db, questionWriteTags(existing.id, existing.authorId)),
        db.update(questions).set({ deletedAt: now, updatedAt: now }).where(eq(questions.id, existing.id)),
        auditInsert(c, { action: "question.deleted", target: { type: "question", id: existing.id } }),
        ...deleted.statements,
      ]);
      cache.tagsInvalidated(bumped);
      c.executionCtx.waitUntil(deleted.send(c.env));
      return c.body(null, 204);
    },
  );

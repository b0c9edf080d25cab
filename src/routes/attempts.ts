import { and, desc, eq, gt, isNull, lt, sql } from "drizzle-orm";
import { Hono, type Context } from "hono";
import { z } from "zod";
import { attemptPercentile } from "../lib/analytics/percentile";
import { auditEntry, auditInsert } from "../lib/audit/writer";
import { clock, iso, isoOrNull } from "../lib/clock";
import { ApiError } from "../lib/errors";
import { eventStatements } from "../lib/events/emit";
import { caller, canManage } from "../lib/exam/access";
import { acceptsAnswers, changesOf, presentAttempt, presentAttemptSummary, stillInProgress, submitStatements } from "../lib/exam/attempts";
import { effectiveMarks } from "../lib/exam/questions";
import { gradeStatements } from "../lib/exam/grading";
import { findTestQuestion, loadSections } from "../lib/exam/tests";
import { allowedSeconds, boundedSecondsSql } from "../lib/exam/time-spent";
import { guardedInsert } from "../lib/guarded-insert";
import { newId } from "../lib/ids";
import { sanitizeRichText } from "../lib/security/sanitize";
import { SERVED_FILE_HEADERS } from "../lib/uploads/served-file";
import { answerInput, checkAnswer, gradeInput } from "../lib/validation/answers";
import { decodeCursor, idCursor, paginationQuery, toPage } from "../lib/validation/pagination";
import { validate } from "../lib/validation/validate";
import { requireScope } from "../middleware/auth";
import { rateLimit } from "../middleware/rate-limit";
import { ATTEMPT_STATUSES, answers, attempts, auditLogs, tests, uploads, type Attempt, type Test } from "../db/schema";
import type { AppEnv } from "../env";
import { fileResponse, operationsOf } from "../openapi/describe";
import {
  attemptDetailSchema,
  attemptSchema,
  attemptSummarySchema,
  gradedAnswerSchema,
  savedAnswerSchema,
  submittedAttemptSchema,
} from "../openapi/schemas/attempt";
import { page } from "../openapi/schemas/primitives";
import { requireVerifiedEmail } from "../middleware/verified-email";

type Access = "taker" | "manager";

const describe = operationsOf("Attempts");

/** A test's attempts for its author: `provisional=true` lists those waiting for a grader. */
const testAttemptsQuery = paginationQuery.extend({
  status: z.enum(ATTEMPT_STATUSES).optional(),
  provisional: z.enum(["true", "false"]).optional(),
});

/**
 * The attempt if the caller may see it — its taker, the test's author, an admin — with how they
 * relate to it; anyone else gets 404, so attempt ids cannot be probed.
 */
async function findVisibleAttempt(c: Context<AppEnv>, id: string): Promise<{ attempt: Attempt; test: Test; access: Access }> {
  const auth = caller(c);
  const row = await c.var.db
    .select({ attempt: attempts, test: tests })
    .from(attempts)
    .innerJoin(tests, eq(tests.id, attempts.testId))
    .where(eq(attempts.id, id))
    .get();
  if (!row) throw ApiError.notFound("attempt");
  if (row.attempt.userId === auth.userId) return { ...row, access: "taker" };
  if (canManage(auth, row.test.authorId)) return { ...row, access: "manager" };
  throw ApiError.notFound("attempt");
}

/** Only the taker writes to an attempt; to everyone else it does not exist. */
async function findOwnAttempt(c: Context<AppEnv>, id: string): Promise<Attempt> {
  const attempt = await c.var.db.query.attempts.findFirst({ where: and(eq(attempts.id, id), eq(attempts.userId, caller(c).userId)) });
  if (!attempt) throw ApiError.notFound("attempt");
  return attempt;
}

function closedProblem(attempt: Attempt, now: number): ApiError {
  return attempt.status !== "IN_PROGRESS"
    ? new ApiError("conflict", "The attempt has been submitted; answers can no longer change.", { extensions: { status: attempt.status } })
    : new ApiError("conflict", `The attempt's deadline passed at ${iso(attempt.deadlineAt)}.`, {
        extensions: { status: attempt.status, deadlineAt: iso(attempt.deadlineAt), now: iso(now) },
      });
}

/** Starting and listing a test's attempts; mounted at /v1/tests, after the tests group, whose rate limit covers it. */
export const testAttemptRoutes = new Hono<AppEnv>()
  .post(
    "/:id/attempts",
    describe({
      summary: "Start an attempt of a published test",
      responses: { 201: ["The attempt with its questions", attemptSchema] },
      errors: ["not_found", "conflict", "email_not_verified"],
    }),
    requireScope("attempts:write"),
    requireVerifiedEmail("attempts"),
    async (c) => {
      const auth = caller(c);
      const db = c.var.db;
      const test = await db.query.tests.findFirst({ where: and(eq(tests.id, c.req.param("id")), isNull(tests.deletedAt)) });
      if (!test || (!test.published && !canManage(auth, test.authorId))) throw ApiError.notFound("test");
      if (!test.published) throw new ApiError("conflict", "Publish the test before attempting it.");
      const sections = await loadSections(db, test.id);
      const now = clock.now();
      const attempt = {
        id: newId("attempt", now),
        testId: test.id,
        userId: auth.userId,
        status: "IN_PROGRESS" as const,
        startedAt: now,
        deadlineAt: now + test.durationMinutes * 60_000,
        createdAt: now,
        updatedAt: now,
      };
      // One running attempt per test and taker, even when two starts race: the insert checks in the same statement.
      const running = and(
        eq(attempts.testId, test.id),
        eq(attempts.userId, auth.userId),
        eq(attempts.status, "IN_PROGRESS"),
        gt(attempts.deadlineAt, now),
      );
      const started = eventStatements(
        db,
        auth.userId,
        {
          type: "attempt.started",
          aggregateId: attempt.id,
          ownerId: test.authorId,
          data: { attemptId: attempt.id, testId: test.id, userId: auth.userId, startedAt: iso(now), deadlineAt: iso(attempt.deadlineAt) },
          when: sql`exists (select 1 from ${attempts} where ${eq(attempts.id, attempt.id)})`,
        },
        now,
      );
      const [inserted] = await db.batch([
        guardedInsert(db, attempts, attempt, sql`not exists (select 1 from ${attempts} where ${running})`),
        guardedInsert(
          db,
          auditLogs,
          auditEntry(c, { action: "attempt.started", target: { type: "attempt", id: attempt.id }, metadata: { testId: test.id } }),
          sql`exists (select 1 from ${attempts} where ${eq(attempts.id, attempt.id)})`,
        ),
        ...started.statements,
      ]);
      if (changesOf(inserted) !== 1) {
        const existing = await db.select({ id: attempts.id }).from(attempts).where(running).get();
        throw new ApiError("conflict", "You already have an attempt of this test in progress.", {
          extensions: { attemptId: existing?.id ?? null },
        });
      }
      c.executionCtx.waitUntil(started.send(c.env));
      const row = (await db.query.attempts.findFirst({ where: eq(attempts.id, attempt.id) }))!;
      return c.json(
        {
          ...presentAttempt(row, sections, [], "taker"),
          test: { id: test.id, title: test.title, durationMinutes: test.durationMinutes, msqScoring: test.msqScoring },
        },
        201,
        { Location: `/v1/attempts/${attempt.id}` },
      );
    },
  )
  .get(
    "/:id/attempts",
    describe({
      summary: "List a test's attempts (its managers)",
      responses: { 200: ["A page of attempts, newest first", page(attemptSummarySchema)] },
      errors: ["not_found"],
    }),
    requireScope("attempts:read"),
    validate("query", testAttemptsQuery),
    async (c) => {
      const db = c.var.db;
      const test = await db.query.tests.findFirst({ where: eq(tests.id, c.req.param("id")) });
      if (!test || !canManage(caller(c), test.authorId)) throw ApiError.notFound("test");
      const { limit, cursor, status, provisional } = c.req.valid("query");
      const rows = await db
        .select()
        .from(attempts)
        .where(
          and(
            eq(attempts.testId, test.id),
            status ? eq(attempts.status, status) : undefined,
            provisional ? eq(attempts.provisional, provisional === "true") : undefined,
            cursor ? lt(attempts.id, decodeCursor(cursor, idCursor).id) : undefined,
          ),
        )
        .orderBy(desc(attempts.id))
        .limit(limit + 1);
      return c.json(
        toPage(
          rows,
          limit,
          (row) => ({ id: row.id }),
          (row) => presentAttemptSummary(row, test.title),
        ),
      );
    },
  );

/** The caller's own attempts; mounted at /v1/me, after the me group, whose rate limit and sign-in check cover it. */
export const myAttemptRoutes = new Hono<AppEnv>().get(
  "/attempts",
  describe({ summary: "List your attempts", responses: { 200: ["A page of attempts, newest first", page(attemptSummarySchema)] } }),
  requireScope("attempts:read"),
  validate("query", paginationQuery),
  async (c) => {
    const { limit, cursor } = c.req.valid("query");
    const rows = await c.var.db
      .select({ attempt: attempts, testTitle: tests.title })
      .from(attempts)
      .innerJoin(tests, eq(tests.id, attempts.testId))
      .where(and(eq(attempts.userId, caller(c).userId), cursor ? lt(attempts.id, decodeCursor(cursor, idCursor).id) : undefined))
      .orderBy(desc(attempts.id))
      .limit(limit + 1);
    return c.json(
      toPage(
        rows,
        limit,
        (row) => ({ id: row.attempt.id }),
        (row) => presentAttemptSummary(row.attempt, row.testTitle),
      ),
    );
  },
);

/** One attempt: reading, answering, submitting, grading; mounted at /v1/attempts. */
export const attemptRoutes = new Hono<AppEnv>()
  .use("*", rateLimit({ policy: "api" }))
  .get(
    "/:id",
    describe({
      summary: "Read an attempt",
      description: "Its taker sees solutions, marks and feedback once it is SCORED; the test's managers see them throughout.",
      responses: { 200: ["The attempt", attemptDetailSchema] },
      errors: ["not_found"],
    }),
    requireScope("attempts:read"),
    async (c) => {
      const { attempt, test, access } = await findVisibleAttempt(c, c.req.param("id"));
      const db = c.var.db;
      const [sections, answerRows, percentile] = await Promise.all([
        loadSections(db, test.id),
        db.select().from(answers).where(eq(answers.attemptId, attempt.id)),
        attemptPercentile(db, attempt),
      ]);
      return c.json({
        ...presentAttempt(attempt, sections, answerRows, access),
        percentile,
        test: { id: test.id, title: test.title, durationMinutes: test.durationMinutes, msqScoring: test.msqScoring },
      });
    },
  )
  /**
   * A question's image for whoever may read the attempt: uploads are private to their owner, so
   * candidates reach an instructor's image only through an attempt that holds the question.
   */
  .get(
    "/:id/questions/:questionId/image",
    describe({
      summary: "A question's image, for whoever may read the attempt",
      responses: { 200: fileResponse("The image", "image/*") },
      errors: ["not_found"],
    }),
    requireScope("attempts:read"),
    async (c) => {
      const { test } = await findVisibleAttempt(c, c.req.param("id"));
      const found = await findTestQuestion(c.var.db, test.id, c.req.param("questionId"));
      const uploadId = found?.question.imageUploadId;
      const upload = uploadId ? await c.var.db.query.uploads.findFirst({ where: eq(uploads.id, uploadId) }) : undefined;
      const object = upload?.contentType.startsWith("image/") ? await c.env.FILES.get(upload.key) : null;
      if (!upload || !object) throw ApiError.notFound("image");
      return c.body(object.body, 200, {
        "Content-Type": upload.contentType,
        "Content-Length": String(object.size),
        "Cache-Control": "private, max-age=3600",
        // Inline: the exam shows it; an image cannot run script, and the sandbox holds if it were anything else.
        "Content-Disposition": "inline",
        ...SERVED_FILE_HEADERS,
        ETag: object.httpEtag,
      });
    },
  )
  .post(
    "/:id/questions/:questionId/hint",
    describe({
      summary: "Take a question's hint",
      description:
        "Where the test allows hints, during the attempt: the hint, and the penalty its use costs (the share of the answer's marks, applied by scoring). Asking again shows it again at no further cost.",
      responses: { 200: ["The hint", z.object({ questionId: z.string(), hint: z.string(), penalty: z.number() })] },
      errors: ["not_found", "conflict"],
    }),
    requireScope("attempts:write"),
    async (c) => {
      const attempt = await findOwnAttempt(c, c.req.param("id"));
      const now = clock.now();
      if (!acceptsAnswers(attempt, now)) throw closedProblem(attempt, now);
      const db = c.var.db;
      const test = (await db.query.tests.findFirst({ where: eq(tests.id, attempt.testId) }))!;
      if (!test.allowHints) throw new ApiError("conflict", "This test does not allow hints.");
      const found = await findTestQuestion(db, attempt.testId, c.req.param("questionId"));
      if (!found?.question.hint) throw ApiError.notFound("hint");
      const open = sql`exists (select 1 from ${attempts} where ${and(stillInProgress(attempt.id), gt(attempts.deadlineAt, now))})`;
      // The first request records the use; the row may not exist yet (no answer saved so far).
      const [[taken]] = await db.batch([
        guardedInsert(db, answers, { attemptId: attempt.id, questionId: found.question.id, answer: null, hintUsedAt: now }, open)
          .onConflictDoUpdate({
            target: [answers.attemptId, answers.questionId],
            set: { hintUsedAt: sql`coalesce(${answers.hintUsedAt}, excluded.hint_used_at)` },
          })
          .returning({ hintUsedAt: answers.hintUsedAt }),
        guardedInsert(
          db,
          auditLogs,
          auditEntry(c, {
            action: "attempt.answered",
            target: { type: "attempt", id: attempt.id },
            metadata: { questionId: found.question.id, hint: true },
          }),
          open,
        ),
      ]);
      if (!taken) {
        const current = (await db.query.attempts.findFirst({ where: eq(attempts.id, attempt.id) }))!;
        throw closedProblem(current, now);
      }
      c.header("Cache-Control", "no-store");
      return c.json({ questionId: found.question.id, hint: found.question.hint, penalty: test.hintPenalty });
    },
  )
  .put(
    "/:id/answers/:questionId",
    describe({
      summary: "Save an answer",
      description: "Until the deadline; answering again replaces the answer.",
      responses: { 200: ["The saved answer", savedAnswerSchema] },
      errors: ["not_found", "conflict"],
    }),
    requireScope("attempts:write"),
    validate("json", answerInput),
    async (c) => {
      const attempt = await findOwnAttempt(c, c.req.param("id"));
      const now = clock.now();
      if (!acceptsAnswers(attempt, now)) throw closedProblem(attempt, now);
      const found = await findTestQuestion(c.var.db, attempt.testId, c.req.param("questionId"));
      if (!found) throw ApiError.notFound("question");
      const input = c.req.valid("json");
      let value: unknown = null;
      if (input.answer !== null) {
        const checked = checkAnswer(found.question, input.answer);
        if ("errors" in checked) throw ApiError.validation(checked.errors, "The answer does not fit the question.");
        value = checked.value;
      }
      const allowance = allowedSeconds(attempt);
      if ((input.timeSpentSeconds ?? 0) > allowance) {
        throw ApiError.validation([{ path: "timeSpentSeconds", message: `At most ${allowance} seconds, the attempt's duration` }]);
      }
      const db = c.var.db;
      // Guarded by status and deadline in the same statement, so an answer cannot land after a submit that raced it.
      const open = sql`exists (select 1 from ${attempts} where ${and(stillInProgress(attempt.id), gt(attempts.deadlineAt, now))})`;
      const row = {
        attemptId: attempt.id,
        questionId: found.question.id,
        answer: value,
        answeredAt: now,
        timeSpentSeconds: boundedSecondsSql(attempt.id, input.timeSpentSeconds ?? 0, allowance),
      };
      const audit = auditEntry(c, {
        action: "attempt.answered",
        target: { type: "attempt", id: attempt.id },
        metadata: { questionId: found.question.id, cleared: value === null },
      });
      // The audit row carries the same guard as the answer, so both land or neither does.
      const [, [saved]] = await db.batch([
        guardedInsert(db, auditLogs, audit, open),
        guardedInsert(db, answers, row, open)
          .onConflictDoUpdate({
            target: [answers.attemptId, answers.questionId],
            set: {
              answer: sql`excluded.answer`,
              answeredAt: sql`excluded.answered_at`,
              // `excluded` holds the increment already cut to what the attempt has left.
              timeSpentSeconds: sql`${answers.timeSpentSeconds} + excluded.time_spent_seconds`,
            },
          })
          .returning(),
      ]);
      if (!saved) {
        const current = (await db.query.attempts.findFirst({ where: eq(attempts.id, attempt.id) }))!;
        throw closedProblem(current, now);
      }
      return c.json({
        attemptId: attempt.id,
        questionId: saved.questionId,
        answer: saved.answer ?? null,
        answeredAt: isoOrNull(saved.answeredAt),
        timeSpentSeconds: saved.timeSpentSeconds,
      });
    },
  )
  .post(
    "/:id/submit",
    describe({
      summary: "Submit an attempt for scoring",
      responses: { 202: ["Submitted; scoring runs in the background", submittedAttemptSchema] },
      errors: ["not_found", "conflict"],
    }),
    requireScope("attempts:write"),
    async (c) => {
      const attempt = await findOwnAttempt(c, c.req.param("id"));
      if (attempt.status !== "IN_PROGRESS") throw closedProblem(attempt, clock.now());
      const now = clock.now();
      const db = c.var.db;
      const late = now >= attempt.deadlineAt;
      const audit = auditEntry(c, {
        action: "attempt.submitted",
        target: { type: "attempt", id: attempt.id },
        metadata: { testId: attempt.testId, late },
      });
      const test = (await db.select({ authorId: tests.authorId }).from(tests).where(eq(tests.id, attempt.testId)).get())!;
      const submit = submitStatements(db, attempt, test.authorId, audit, now, false);
      const results = await db.batch(submit.statements);
      if (!submit.transitioned(results)) throw closedProblem({ ...attempt, status: "SUBMITTED" }, now);
      c.executionCtx.waitUntil(submit.send(c.env));
      return c.json({ id: attempt.id, status: "SUBMITTED" as const, submittedAt: iso(now), scoringJobId: submit.job.job.id }, 202);
    },
  )
  .put(
    "/:id/answers/:questionId/grade",
    describe({
      summary: "Grade a subjective answer",
      responses: { 200: ["The grade; the attempt is re-scored in the background", gradedAnswerSchema] },
      errors: ["not_found", "conflict", "unprocessable"],
    }),
    requireScope("attempts:grade"),
    validate("json", gradeInput),
    async (c) => {
      const { attempt, test, access } = await findVisibleAttempt(c, c.req.param("id"));
      if (access !== "manager") throw ApiError.notFound("attempt");
      if (attempt.status === "IN_PROGRESS") throw new ApiError("conflict", "The attempt is still in progress; grade it after submission.");
      const db = c.var.db;
      const found = await findTestQuestion(db, test.id, c.req.param("questionId"));
      if (!found) throw ApiError.notFound("question");
      if (found.question.type !== "SUBJECTIVE") {
        throw new ApiError(
          "unprocessable",
          `Only SUBJECTIVE answers are graded by hand; ${found.question.type} answers are scored automatically.`,
        );
      }
      const input = c.req.valid("json");
      const max = effectiveMarks(found.question, found.section).marks;
      const existing = await db.query.answers.findFirst({
        where: and(eq(answers.attemptId, attempt.id), eq(answers.questionId, found.question.id)),
      });
      if (!existing || existing.answer == null) throw new ApiError("conflict", "The question was not answered; there is nothing to grade.");
      let marks: number;
      let feedback: string | null;
      if ("acceptSuggestion" in input) {
        if (existing.aiSuggestedMarks === null) throw new ApiError("conflict", "There is no AI suggestion for this answer to accept.");
        // Clamped again: the question's marks may have changed since the suggestion was made.
        marks = Math.min(max, Math.max(0, existing.aiSuggestedMarks));
        feedback = existing.aiFeedback;
      } else {
        if (input.marks > max) throw ApiError.validation([{ path: "marks", message: `At most ${max} marks for this question` }]);
        marks = input.marks;
        feedback = input.feedback ? sanitizeRichText(input.feedback) || null : null;
      }
      const now = clock.now();
      const auth = caller(c);
      const grade = gradeStatements(db, { attempt, test, questionId: found.question.id, marks, feedback, gradedBy: auth.userId, now });
      await db.batch([
        ...grade.statements,
        auditInsert(c, {
          action: "attempt.graded",
          target: { type: "attempt", id: attempt.id },
          before: { gradedMarks: existing.gradedMarks, feedback: existing.feedback },
          after: { gradedMarks: marks, feedback },
          metadata: { questionId: found.question.id, ...("acceptSuggestion" in input ? { acceptedAiSuggestion: existing.aiModel } : {}) },
        }),
      ]);
      c.executionCtx.waitUntil(grade.send(c.env));
      return c.json({
        attemptId: attempt.id,
        questionId: found.question.id,
        gradedMarks: marks,
        feedback,
        gradedAt: iso(now),
        scoringJobId: await grade.rescoreJobId(),
      });
    },
  );

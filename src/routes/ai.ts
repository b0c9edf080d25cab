import { and, eq, isNull } from "drizzle-orm";
import { Hono } from "hono";
import { streamSSE } from "hono/streaming";
import { answers, attempts, tests } from "../db/schema";
import type { AppEnv } from "../env";
import { aiProblem, aiUser, openAi, requireAi } from "../lib/ai/gate";
import { tutorConversation } from "../lib/ai/tutor";
import { aiUsageInsert } from "../lib/ai/usage";
import { auditInsert } from "../lib/audit/writer";
import { clock } from "../lib/clock";
import { ApiError } from "../lib/errors";
import { caller, canManage } from "../lib/exam/access";
import { findTestQuestion } from "../lib/exam/tests";
import { enqueueStatements } from "../lib/queue";
import { presentJob } from "../lib/queue/present";
import { aiChatBody, aiHintsBody, aiQuestionGenerationBody, attemptParam, testParam } from "../lib/validation/ai";
import { validate } from "../lib/validation/validate";
import { requireRole, requireScope } from "../middleware/auth";
import { rateLimit } from "../middleware/rate-limit";
import { operationsOf } from "../openapi/describe";
import { jobSchema } from "../openapi/schemas/job";

const describe = operationsOf("AI");

/**
 * AI features (docs/ai.md): question generation and the evaluation of written answers as background
 * jobs, and a tutor that explains a question of a scored attempt to its taker. Every route checks
 * that AI is configured (503 ai_unavailable otherwise: never a made-up answer) and that the caller
 * has allowance left this month (429 quota_exceeded), and runs under the `ai` rate-limit policy.
 */
export const aiRoutes = new Hono<AppEnv>()
  .use("*", rateLimit({ policy: "ai" }))
  .post(
    "/questions/generate",
    describe({
      summary: "Generate draft questions with AI",
      description:
        "Queues a job that writes the questions, validates each like a hand-written one, skips near-duplicates of your bank and saves the rest as drafts (`status: draft`, `generatedBy`: the model). Review, edit and publish them (`POST /v1/questions/:id/publish`); a draft joins no test.",
      responses: { 202: ["The queued job (its result lists the drafts)", jobSchema] },
      errors: ["ai_unavailable", "quota_exceeded"],
    }),
    requireScope("ai:use", "questions:write"),
    requireRole("instructor", "admin"),
    validate("json", aiQuestionGenerationBody),
    async (c) => {
      const input = c.req.valid("json");
      const auth = caller(c);
      await requireAi(c.env, c.var.db, aiUser(c));
      const db = c.var.db;
      const job = enqueueStatements(
        db,
        "ai.generate_questions",
        {
          requestedBy: auth.userId,
          subject: input.subject,
          topic: input.topic ?? null,
          difficulty: input.difficulty,
          type: input.type,
          count: input.count,
          instructions: input.instructions || null,
          language: input.language,
        },
        { ownerId: auth.userId },
      );
      await db.batch([
        ...job.statements,
        auditInsert(c, {
          action: "ai.requested",
          target: { type: "job", id: job.job.id },
          metadata: { feature: "generation", subject: input.subject, type: input.type, count: input.count },
        }),
      ]);
      c.executionCtx.waitUntil(job.send(c.env));
      return c.json(presentJob(job.job), 202, { Location: `/v1/jobs/${job.job.id}` });
    },
  )
  .post(
    "/attempts/:id/evaluate",
    describe({
      summary: "Suggest grades for an attempt's written answers",
      description:
        "Queues a job that asks the AI for a mark (clamped to the question's marks) and feedback for each SUBJECTIVE answer, against its rubric, stored as a suggestion on the answer. Accept or edit it with `PUT /v1/attempts/:id/answers/:questionId/grade` (`{ acceptSuggestion: true }`), or let the test's `autoAcceptAiGrades` apply it.",
      responses: { 202: ["The queued job", jobSchema] },
      errors: ["not_found", "conflict", "ai_unavailable", "quota_exceeded"],
    }),
    requireScope("ai:use", "attempts:grade"),
    validate("param", attemptParam),
    async (c) => {
      const auth = caller(c);
      const row = await c.var.db
        .select({ attempt: attempts, authorId: tests.authorId })
        .from(attempts)
        .innerJoin(tests, eq(tests.id, attempts.testId))
        .where(eq(attempts.id, c.req.valid("param").id))
        .get();
      if (!row || !canManage(auth, row.authorId)) throw ApiError.notFound("attempt");
      if (row.attempt.status === "IN_PROGRESS")
        throw new ApiError("conflict", "The attempt is still in progress; evaluate it after submission.");
      await requireAi(c.env, c.var.db, aiUser(c));
      const db = c.var.db;
      // While one evaluation of the attempt waits, asking again adds nothing.
      const job = enqueueStatements(
        db,
        "ai.evaluate",
        { requestedBy: auth.userId, attemptId: row.attempt.id },
        {
          ownerId: auth.userId,
          coalesceKey: `evaluate:${row.attempt.id}`,
        },
      );
      await db.batch([
        ...job.statements,
        auditInsert(c, { action: "ai.requested", target: { type: "attempt", id: row.attempt.id }, metadata: { feature: "evaluation" } }),
      ]);
      c.executionCtx.waitUntil(job.send(c.env));
      const carrier = await job.carrierId();
      return c.json(presentJob({ ...job.job, id: carrier }), 202, { Location: `/v1/jobs/${carrier}` });
    },
  )
  .post(
    "/tests/:id/hints",
    describe({
      summary: "Write hints for a test's questions with AI",
      description:
        "Queues a job that writes a hint for each question of the test without one (every one with `overwrite: true`), stored on the question. A hint that states the answer is refused and asked again. Candidates see hints only where the test sets `allowHints`, and a hint taken costs the test's `hintPenalty` share of that answer's marks.",
      responses: { 202: ["The queued job", jobSchema] },
      errors: ["not_found", "ai_unavailable", "quota_exceeded"],
    }),
    requireScope("ai:use", "tests:write"),
    validate("param", testParam),
    validate("json", aiHintsBody),
    async (c) => {
      const auth = caller(c);
      const test = await c.var.db.query.tests.findFirst({ where: and(eq(tests.id, c.req.valid("param").id), isNull(tests.deletedAt)) });
      if (!test || !canManage(auth, test.authorId)) throw ApiError.notFound("test");
      await requireAi(c.env, c.var.db, aiUser(c));
      const db = c.var.db;
      const job = enqueueStatements(
        db,
        "ai.hints",
        { requestedBy: auth.userId, testId: test.id, overwrite: c.req.valid("json").overwrite },
        { ownerId: auth.userId, coalesceKey: `hints:${test.id}` },
      );
      await db.batch([
        ...job.statements,
        auditInsert(c, { action: "ai.requested", target: { type: "test", id: test.id }, metadata: { feature: "hints" } }),
      ]);
      c.executionCtx.waitUntil(job.send(c.env));
      const carrier = await job.carrierId();
      return c.json(presentJob({ ...job.job, id: carrier }), 202, { Location: `/v1/jobs/${carrier}` });
    },
  )
  .post(
    "/chat",
    describe({
      summary: "Ask the tutor about a question of your scored attempt (server-sent events)",
      description:
        "Streams `delta` events (`{ text }`) and a final `done` event (`{ usage }`), or an `error` event if the provider fails mid-way. Only the attempt's taker, and only once it is scored: a tutor must never help during a live test.",
      responses: { 200: { description: "An event stream", content: { "text/event-stream": {} } } },
      errors: ["not_found", "conflict", "ai_unavailable", "quota_exceeded"],
    }),
    requireScope("ai:use"),
    validate("json", aiChatBody),
    async (c) => {
      const input = c.req.valid("json");
      const auth = caller(c);
      const db = c.var.db;
      const attempt = await db.select().from(attempts).where(eq(attempts.id, input.attemptId)).get();
      // Only the taker: to anyone else (its instructor included) the attempt does not exist here.
      if (!attempt || attempt.userId !== auth.userId) throw ApiError.notFound("attempt");
      if (attempt.status !== "SCORED") {
        throw new ApiError("conflict", "The tutor opens once the attempt is submitted and scored.");
      }
      const found = await findTestQuestion(db, attempt.testId, input.questionId);
      if (!found) throw ApiError.notFound("question");
      const answer = await db
        .select()
        .from(answers)
        .where(and(eq(answers.attemptId, attempt.id), eq(answers.questionId, found.question.id)))
        .get();
      const client = await openAi(c.env, db, aiUser(c));
      let opened: Awaited<ReturnType<typeof client.stream>>;
      try {
        opened = await client.stream("tutor", tutorConversation(found.question, answer, input.messages));
      } catch (error) {
        throw aiProblem(error);
      }
      await db.batch([
        auditInsert(c, {
          action: "ai.requested",
          target: { type: "attempt", id: attempt.id },
          metadata: { feature: "tutor", questionId: found.question.id, turns: input.messages.length },
        }),
      ]);
      c.header("Cache-Control", "no-store");
      return streamSSE(c, async (sse) => {
        try {
          for await (const text of opened.chunks) await sse.writeSSE({ event: "delta", data: JSON.stringify({ text }) });
        } catch (error) {
          const problem = aiProblem(error);
          await sse.writeSSE({
            event: "error",
            data: JSON.stringify({ code: "ai_unavailable", detail: problem instanceof ApiError ? problem.message : "The tutor stopped." }),
          });
        }
        const usage = await opened.usage;
        await aiUsageInsert(db, auth.userId, usage, "ok", clock.now());
        await sse.writeSSE({
          event: "done",
          data: JSON.stringify({ usage: { promptTokens: usage.promptTokens, completionTokens: usage.completionTokens } }),
        });
      });
    },
  );

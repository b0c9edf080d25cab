import { and, desc, eq, isNull } from "drizzle-orm";
import type { Database } from "../src/db";
import { answers, attempts, auditLogs, questions, tests, users, type NewQuestion, type Role } from "../src/db/schema";
import { aiProblem, openAi } from "../src/lib/ai/gate";
import { AiInvalidOutputError } from "../src/lib/ai/errors";
import type { StructuredRequest } from "../src/lib/ai/client";
import type { AiFeature, AiUsage } from "../src/lib/ai/usage-meter";
import type { Env } from "../src/env";
import { generationPrompt, generationSchema, NEAR_DUPLICATE, shingles, similarity, toQuestion } from "../src/lib/ai/generation";
import { evaluationRequest, evaluationSchema } from "../src/lib/ai/evaluation";
import { hintRequest, hintSchema } from "../src/lib/ai/hints";
import { aiUsageInsert } from "../src/lib/ai/usage";
import { systemAuditEntry } from "../src/lib/audit/writer";
import { cache, invalidationStatement } from "../src/lib/cache";
import { clock } from "../src/lib/clock";
import { ApiError } from "../src/lib/errors";
import { eventStatements } from "../src/lib/events/emit";
import { ALL_QUESTIONS_TAG, questionBankTag } from "../src/lib/exam/cache-keys";
import { gradeStatements } from "../src/lib/exam/grading";
import { effectiveMarks, questionEventData, toQuestionContent } from "../src/lib/exam/questions";
import { loadSections } from "../src/lib/exam/tests";
import { newId } from "../src/lib/ids";
import type { JobPayload } from "../src/lib/queue/job-types";
import { PermanentJobError, type JobHandler } from "./job-handler";

/** Bank questions the near-duplicate check compares with: the author's most recent in the subject. */
const DUPLICATE_SCAN_LIMIT = 2000;

async function requester(db: Database, id: string): Promise<{ id: string; role: Role }> {
  const user = await db.select({ id: users.id, role: users.role }).from(users).where(eq(users.id, id)).get();
  if (!user) throw new PermanentJobError("the requesting account no longer exists");
  return user;
}

/**
 * A failed AI call as the job runner should take it: provider trouble retries the job (with backoff);
 * what retrying cannot fix (no allowance left, an answer that never passed validation) fails it at
 * once with the reason.
 */
function jobError(error: unknown): Error {
  if (error instanceof AiInvalidOutputError) return new PermanentJobError(error.message, { cause: error });
  const problem = aiProblem(error);
  if (problem instanceof ApiError)
    return problem.code === "ai_unavailable" ? new Error(problem.message) : new PermanentJobError(problem.message);
  return error instanceof Error ? error : new Error(String(error));
}

/**
 * One structured call for a job, after the configuration and allowance checks; failures leave as job
 * errors (see above). An answer that never passed validation is still accounted: its tokens were spent.
 */
async function ask<T>(env: Env, db: Database, user: { id: string; role: Role }, feature: AiFeature, request: StructuredRequest<T>) {
  try {
    return await (await openAi(env, db, user)).structured(feature, request);
  } catch (error) {
    if (error instanceof AiInvalidOutputError) await aiUsageInsert(db, user.id, error.usage, "invalid_output", clock.now());
    throw jobError(error);
  }
}

/**
 * `ai.generate_questions`: asks the model for the questions, passes each through the same validation
 * as a hand-written one, drops near-duplicates of the author's bank (and of each other), and saves the
 * rest as drafts marked with the model, with their `question.created` events. Nothing is published.
 */
export const generateQuestionsJob: JobHandler<JobPayload<"ai.generate_questions">> = async ({ env, db, payload, progress }) => {
  const user = await requester(db, payload.requestedBy);
  const prompt = generationPrompt(payload);
  await progress(10, "asking the model");
  const { value, usage } = await ask(env, db, user, "generation", {
    system: prompt.system,
    messages: [{ role: "user", content: prompt.user }],
    schema: generationSchema(payload.type, payload.count),
    schemaName: "generated_questions",
  });
  await progress(70, "checking the questions");

  const bank = await db
    .select({ id: questions.id, body: questions.body })
    .from(questions)
    .where(and(eq(questions.authorId, user.id), eq(questions.subject, payload.subject), isNull(questions.deletedAt)))
    .orderBy(desc(questions.id))
    .limit(DUPLICATE_SCAN_LIMIT);
  const seen = bank.map((row) => ({ id: row.id, grams: shingles(row.body) }));
  const now = clock.now();
  const drafts: NewQuestion[] = [];
  const rejected: { index: number; problems: string[] }[] = [];
  const duplicates: { index: number; similarTo: string; similarity: number }[] = [];
  value.questions.forEach((item, index) => {
    const prepared = toQuestion(payload, item as Record<string, unknown>);
    if ("errors" in prepared) {
      rejected.push({ index, problems: prepared.errors.map((e) => `${e.path}: ${e.message}`) });
      return;
    }
    const grams = shingles(prepared.value.body);
    const closest = seen
      .map((other) => ({ id: other.id, score: similarity(grams, other.grams) }))
      .reduce((best, next) => (next.score > best.score ? next : best), { id: "", score: 0 });
    if (closest.score >= NEAR_DUPLICATE) {
      duplicates.push({ index, similarTo: closest.id, similarity: Math.round(closest.score * 100) / 100 });
      return;
    }
    const id = newId("question", now);
    seen.push({ id, grams });
    drafts.push({
      id,
      authorId: user.id,
      ...toQuestionContent(prepared.value),
      status: "draft",
      generatedBy: usage.model,
      createdAt: now,
      updatedAt: now,
    });
  });

  const events = drafts.map((draft) =>
    eventStatements(
      db,
      user.id,
      {
        type: "question.created",
        aggregateId: draft.id,
        ownerId: user.id,
        data: questionEventData({ ...draft, authorId: user.id }),
      },
      now,
    ),
  );
  const [bumped] = await db.batch([
    invalidationStatement(db, [questionBankTag(user.id), ALL_QUESTIONS_TAG]),
    aiUsageInsert(db, user.id, usage, "ok", now),
    ...drafts.map((draft) => db.insert(questions).values(draft)),
    ...events.flatMap((event) => event.statements),
  ]);
  cache.tagsInvalidated(bumped);
  await Promise.all(events.map((event) => event.send(env)));
  return { drafts: drafts.map((draft) => draft.id), rejected, duplicates, model: usage.model };
};

/**
 * `ai.evaluate`: a suggested mark and feedback for each written (SUBJECTIVE) answer of the attempt,
 * against the question's rubric, stored on the answer. Marks are clamped to [0, the question's marks].
 * When the test accepts suggestions by itself, an answer no person has graded gets the suggestion as
 * its grade (and the attempt is re-scored); otherwise the grader accepts or edits it.
 */
export const evaluateAttemptJob: JobHandler<JobPayload<"ai.evaluate">> = async (ctx) => {
  const { env, db, payload, progress } = ctx;
  const user = await requester(db, payload.requestedBy);
  const attempt = await db.select().from(attempts).where(eq(attempts.id, payload.attemptId)).get();
  if (!attempt) throw new PermanentJobError("the attempt no longer exists");
  if (attempt.status === "IN_PROGRESS") throw new PermanentJobError("the attempt is still in progress");
  const test = await db.select().from(tests).where(eq(tests.id, attempt.testId)).get();
  if (!test) throw new PermanentJobError("the test no longer exists");
  const answerRows = await db.select().from(answers).where(eq(answers.attemptId, attempt.id));
  const byQuestion = new Map(answerRows.map((row) => [row.questionId, row]));
  const written = (await loadSections(db, test.id)).flatMap(({ section, questions: list }) =>
    list
      .filter((question) => question.type === "SUBJECTIVE" && typeof byQuestion.get(question.id)?.answer === "string")
      .map((question) => ({ question, max: effectiveMarks(question, section).marks, answer: byQuestion.get(question.id)! })),
  );
  const suggested: { questionId: string; marks: number; applied: boolean }[] = [];
  for (const [i, { question, max, answer }] of written.entries()) {
    await progress(Math.floor((i / written.length) * 100), `answer ${i + 1} of ${written.length}`);
    const request = evaluationRequest(question, max, answer.answer as string);
    const { value, usage } = await ask(env, db, user, "evaluation", {
      ...request,
      schema: evaluationSchema,
      schemaName: "answer_evaluation",
    });
    const marks = Math.min(max, Math.max(0, value.marks));
    const now = clock.now();
    const apply = test.autoAcceptAiGrades && answer.gradedAt === null;
    const grade = apply
      ? gradeStatements(db, { attempt, test, questionId: question.id, marks, feedback: value.feedback, gradedBy: test.authorId, now })
      : null;
    await db.batch([
      aiUsageInsert(db, user.id, usage, "ok", now),
      db
        .update(answers)
        .set({ aiSuggestedMarks: marks, aiFeedback: value.feedback, aiModel: usage.model, aiSuggestedAt: now })
        .where(and(eq(answers.attemptId, attempt.id), eq(answers.questionId, question.id))),
      ...(grade
        ? [
            ...grade.statements,
            db.insert(auditLogs).values(
              systemAuditEntry({
                action: "attempt.graded",
                target: { type: "attempt", id: attempt.id },
                after: { gradedMarks: marks, feedback: value.feedback },
                metadata: { questionId: question.id, acceptedAiSuggestion: usage.model, by: "test setting autoAcceptAiGrades" },
              }),
            ),
          ]
        : []),
    ]);
    if (grade) await grade.send(env);
    suggested.push({ questionId: question.id, marks, applied: apply });
  }
  return { suggested };
};

/**
 * `ai.hints`: a hint for each question of the test that has none (or every one, with `overwrite`),
 * stored on the question with the model. A hint that states the answer fails validation and is asked
 * again; one that never passes leaves its question without a hint (reported), and the job goes on.
 */
export const generateHintsJob: JobHandler<JobPayload<"ai.hints">> = async ({ env, db, payload, progress }) => {
  const user = await requester(db, payload.requestedBy);
  const sections = await loadSections(db, payload.testId);
  const pending = [...new Map(sections.flatMap(({ questions: list }) => list.map((q) => [q.id, q]))).values()].filter(
    (question) => question.deletedAt === null && (payload.overwrite || !question.hint),
  );
  const written: string[] = [];
  const failed: { questionId: string; problems: string[] }[] = [];
  for (const [i, question] of pending.entries()) {
    await progress(Math.floor((i / pending.length) * 100), `question ${i + 1} of ${pending.length}`);
    let reply: { value: { hint: string }; usage: AiUsage };
    try {
      reply = await ask(env, db, user, "hints", { ...hintRequest(question), schema: hintSchema(question), schemaName: "question_hint" });
    } catch (error) {
      // One question the model cannot hint well does not stop the others.
      if (!(error instanceof Error && error.cause instanceof AiInvalidOutputError)) throw error;
      failed.push({ questionId: question.id, problems: error.cause.problems });
      continue;
    }
    const now = clock.now();
    await db.batch([
      aiUsageInsert(db, user.id, reply.usage, "ok", now),
      db
        .update(questions)
        .set({ hint: reply.value.hint, hintGeneratedBy: reply.usage.model, updatedAt: now })
        .where(eq(questions.id, question.id)),
    ]);
    written.push(question.id);
  }
  return { written, failed };
};

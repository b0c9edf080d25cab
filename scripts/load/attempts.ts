import { setTimeout as sleep } from "node:timers/promises";
import type { Json } from "../../bench/lib/api";
import { must, UnexpectedAnswer, type LoadClient } from "./client";

interface AttemptQuestion {
  id: string;
  type: "MCQ" | "MSQ" | "INTEGER" | "RANGE" | "SUBJECTIVE";
  options?: string[] | null;
}

export interface StartedAttempt {
  id: string;
  questions: AttemptQuestion[];
}

/** A plausible answer of the question's type (its correctness does not matter to the load). */
function answerFor(question: AttemptQuestion): number | number[] | string {
  const options = question.options?.length ?? 1;
  switch (question.type) {
    case "MCQ":
      return Math.floor(Math.random() * options);
    case "MSQ":
      return [0];
    case "INTEGER":
      return Math.floor(Math.random() * 50);
    case "RANGE":
      return Math.round(Math.random() * 1000) / 100;
    case "SUBJECTIVE":
      return "<p>An answer written under load.</p>";
  }
}

/** The first published test this token can see: the default test against a deployed environment. */
export async function firstPublishedTest(client: LoadClient, token: string): Promise<string> {
  const list = must(await client.call("list tests", "GET", "/v1/tests?limit=50", { token }));
  const test = (list.body.data as Json[]).find((t) => t.published === true);
  if (!test) throw new Error("no published test to take: create one, or name it with --test");
  return test.id as string;
}

export async function startAttempt(client: LoadClient, token: string, testId: string): Promise<StartedAttempt> {
  const started = must(await client.call("start attempt", "POST", `/v1/tests/${testId}/attempts`, { token }));
  return { id: started.body.id, questions: (started.body.sections as Json[]).flatMap((section) => section.questions) };
}

/** Saves an answer to each of the first `count` questions, `thinkMs` apart. */
export async function answerQuestions(client: LoadClient, token: string, attempt: StartedAttempt, count: number, thinkMs: number) {
  for (const [i, question] of attempt.questions.slice(0, count).entries()) {
    if (i > 0 && thinkMs > 0) await sleep(thinkMs);
    const body = { answer: answerFor(question), timeSpentSeconds: 1 };
    must(await client.call("save answer", "PUT", `/v1/attempts/${attempt.id}/answers/${question.id}`, { token, body }));
  }
}

/** Submits; the scoring job's id and when the 202 arrived. */
export async function submitAttempt(client: LoadClient, token: string, attemptId: string) {
  const submitted = must(await client.call("submit", "POST", `/v1/attempts/${attemptId}/submit`, { token }));
  return { jobId: submitted.body.scoringJobId as string, acceptedAt: submitted.receivedAt };
}

/**
 * Polls the scoring job (`GET /v1/jobs/:id`, one row: cheaper than the attempt) every `pollMs` until it
 * completed, then reads the scored attempt once, as a client showing the result would. Returns when the
 * score was seen, or throws after `timeoutMs` or when the job failed.
 */
export async function waitForScore(
  client: LoadClient,
  token: string,
  attemptId: string,
  jobId: string,
  options: { pollMs: number; timeoutMs: number },
): Promise<number> {
  const deadline = performance.now() + options.timeoutMs;
  for (;;) {
    const job = must(await client.call("poll scoring job", "GET", `/v1/jobs/${jobId}`, { token }));
    if (job.body.status === "COMPLETED") break;
    if (job.body.status === "FAILED" || job.body.status === "CANCELLED")
      throw new Error(`scoring job ${jobId} ${job.body.status}: ${job.body.error}`);
    if (performance.now() > deadline) throw new Error(`attempt ${attemptId} not scored within ${options.timeoutMs} ms`);
    await sleep(options.pollMs);
  }
  const result = must(await client.call("read result", "GET", `/v1/attempts/${attemptId}`, { token }));
  if (result.body.status !== "SCORED") throw new UnexpectedAnswer({ ...result, ok: false });
  return result.receivedAt;
}

import { createExecutionContext, createMessageBatch, getQueueResult } from "cloudflare:test";
import { env } from "cloudflare:workers";
import { and, asc, eq, sql } from "drizzle-orm";
import { vi } from "vitest";
import { createDb } from "../../src/db";
import { jobs, type Job } from "../../src/db/schema";
import type { Env } from "../../src/env";
import { handleQueue } from "../../workers/queue";

export interface SentMessage {
  binding: string;
  body: { jobId: string; type: string };
  delaySeconds: number;
}

const QUEUE_BINDINGS = [
  "QUEUE_DEFAULT",
  "QUEUE_SCORING",
  "QUEUE_EMAILS",
  "QUEUE_EXPORTS",
  "QUEUE_AI",
  "QUEUE_INDEXING",
  "QUEUE_WEBHOOKS",
] as const;

/**
 * The real bindings, except that queue sends are captured instead of delivered in the background, so
 * a test decides when (and how often) each message reaches the consumer. The consumer itself is the
 * real one, driven through createMessageBatch like Queues would.
 */
export function capturingEnv(): { env: Env; sent: SentMessage[] } {
  const sent: SentMessage[] = [];
  const queues = Object.fromEntries(
    QUEUE_BINDINGS.map((binding) => [
      binding,
      {
        async send(body: SentMessage["body"], options?: QueueSendOptions) {
          sent.push({ binding, body, delaySeconds: options?.delaySeconds ?? 0 });
        },
        async sendBatch() {
          throw new Error("not used");
        },
      },
    ]),
  );
  return { env: { ...env, ...queues } as Env, sent };
}

/** A queue binding whose sends always fail, to prove a row without a message is recovered. */
export function failingQueueEnv(): Env {
  const broken = {
    async send() {
      throw new Error("queue unavailable");
    },
  };
  return { ...env, ...Object.fromEntries(QUEUE_BINDINGS.map((b) => [b, broken])) } as Env;
}

let counter = 0;

/** Delivers messages to the real queue handler as one batch and returns what it acked / retried. */
export async function deliver(queue: string, items: { body: unknown; attempts?: number; id?: string }[], bindings: Env = env) {
  const batch = createMessageBatch(
    `proctor-${queue}`,
    items.map((item) => ({ id: item.id ?? `msg-${++counter}`, timestamp: new Date(), attempts: item.attempts ?? 1, body: item.body })),
  );
  const ctx = createExecutionContext();
  await handleQueue(batch, bindings, ctx);
  const result = await getQueueResult(batch, ctx);
  return { ...result, ids: batch.messages.map((m) => m.id) };
}

export async function jobRow(id: string): Promise<Job> {
  const row = await createDb(env.DB).select().from(jobs).where(eq(jobs.id, id)).get();
  if (!row) throw new Error(`job ${id} not found`);
  return row;
}

/**
 * Runs a job's message through the real consumer and waits until the job is finished (the message
 * the route sent may be consumed in the background at the same time; either way it runs once).
 */
export async function runScoringJob(jobId: string): Promise<Job> {
  await deliver("scoring", [{ body: { jobId, type: "attempt.score" } }]);
  return vi.waitUntil(
    async () => {
      const job = await jobRow(jobId);
      return job.status === "COMPLETED" || job.status === "FAILED" ? job : false;
    },
    { timeout: 5000, interval: 25 },
  );
}

/** Every scoring job of one attempt, oldest first. */
export async function scoringJobsOf(attemptId: string): Promise<Job[]> {
  return createDb(env.DB)
    .select()
    .from(jobs)
    .where(and(eq(jobs.type, "attempt.score"), sql`json_extract(${jobs.payload}, '$.attemptId') = ${attemptId}`))
    .orderBy(asc(jobs.id));
}

/**
 * Drains an attempt's scoring: delivers each of its jobs still waiting to the real consumer (again,
 * until it runs: a delayed one defers itself) and waits until none is waiting or running.
 */
export async function settleScoring(attemptId: string): Promise<Job[]> {
  return vi.waitUntil(
    async () => {
      const all = await scoringJobsOf(attemptId);
      const waiting = all.filter((job) => job.status === "PENDING" || job.status === "DELAYED");
      if (waiting.length > 0)
        await deliver(
          "scoring",
          waiting.map((job) => ({ body: { jobId: job.id, type: job.type } })),
        );
      return all.every((job) => job.status === "COMPLETED" || job.status === "FAILED" || job.status === "CANCELLED") ? all : false;
    },
    { timeout: 15_000, interval: 50 },
  );
}

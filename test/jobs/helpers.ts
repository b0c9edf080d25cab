import { createExecutionContext, createMessageBatch, getQueueResult } from "cloudflare:test";
import { env } from "cloudflare:workers";
import { eq } from "drizzle-orm";
import { createDb } from "../../src/db";
import { jobs, type Job } from "../../src/db/schema";
import type { Env } from "../../src/env";
import { handleQueue } from "../../workers/queue";

export interface SentMessage {
  binding: string;
  body: { jobId: string; type: string };
  delaySeconds: number;
}

const QUEUE_BINDINGS = ["QUEUE_DEFAULT", "QUEUE_SCORING", "QUEUE_EMAILS", "QUEUE_EXPORTS", "QUEUE_AI", "QUEUE_INDEXING", "QUEUE_WEBHOOKS"] as const;

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

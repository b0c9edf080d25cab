import { createDb } from "../src/db";
import { QUEUE_NAMES, type QueueName } from "../src/db/schema";
import type { Env } from "../src/env";
import { loadConfig } from "../src/config";
import { Logger } from "../src/lib/logger";
import { isolateMetrics } from "../src/lib/metrics/aggregator";
import { MetricsRecorder } from "../src/lib/metrics/recorder";
import { isQueuePaused } from "../src/lib/queue/queue-state";
import { recordDeadLetter, runJobMessage } from "./job-runner";

/** Queue names as wrangler.toml declares them: `proctor-<name>` (or `proctor-<env>-<name>`). */
export function logicalQueueName(queue: string): string {
  return queue.slice(queue.lastIndexOf("-") + 1);
}

function isJobQueue(name: string): name is QueueName {
  return (QUEUE_NAMES as readonly string[]).includes(name);
}

/** Messages of one batch handled at the same time: jobs wait mostly on D1, so overlap pays. */
const MESSAGE_CONCURRENCY = 8;

/**
 * The Worker's `queue` entry point: one dispatch for every queue. Job messages go through the job
 * lifecycle (workers/job-runner.ts) to their handler, each delivery timed as `job.delivery`; the
 * dead-letter queue records failures. The isolate's metrics are flushed when due, as after a request.
 */
export async function handleQueue(batch: MessageBatch, env: Env, ctx: ExecutionContext): Promise<void> {
  const queue = logicalQueueName(batch.queue);
  const db = createDb(env.DB);
  const logger = new Logger({ queue }, loadConfig(env).logLevel);
  const metrics = new MetricsRecorder(env.METRICS_ENGINE);
  const paused = isJobQueue(queue) ? await isQueuePaused(db, queue) : false;
  const handle = async (message: Message) => {
    try {
      if (queue === "dlq") await recordDeadLetter(message, { env, db, logger });
      else if (isJobQueue(queue)) {
        const started = performance.now();
        const outcome = await runJobMessage(message, { env, db, logger, queue, paused });
        metrics.record("job.delivery", performance.now() - started, { queue, outcome });
      } else {
        logger.warn("message on an unknown queue", { messageId: message.id });
        message.ack();
      }
    } catch (error) {
      // Bookkeeping itself failed (D1 unavailable): let Queues deliver the message again.
      logger.error("queue message handling failed", { messageId: message.id, error: String(error), stack: (error as Error)?.stack });
      message.retry();
    }
  };
  let next = 0;
  const lane = async () => {
    while (next < batch.messages.length) await handle(batch.messages[next++]!);
  };
  await Promise.all(Array.from({ length: Math.min(MESSAGE_CONCURRENCY, batch.messages.length) }, lane));
  const flush = isolateMetrics.flushIfDue(env.DB, logger);
  if (flush) ctx.waitUntil(flush);
}

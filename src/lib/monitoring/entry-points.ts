import { loadConfig } from "../../config";
import { Logger } from "../logger";
import type { Env } from "../../env";
import { ErrorTracker } from "./tracker";

type QueueHandler = (batch: MessageBatch, env: Env, ctx: ExecutionContext) => Promise<void>;
type ScheduledHandler = (controller: ScheduledController, env: Env, ctx: ExecutionContext) => Promise<void>;

/** Captures an error that escaped an entry point (ErrorLog + Sentry + alert), then lets it propagate. */
async function captureEscaped(
  env: Env,
  ctx: ExecutionContext,
  error: unknown,
  source: "queue" | "scheduled",
  tags: Record<string, string>,
): Promise<void> {
  let logger: Logger;
  try {
    logger = new Logger(tags, loadConfig(env).logLevel);
  } catch {
    logger = new Logger(tags);
  }
  const tracker = new ErrorTracker({ env, logger, source, tags: () => tags, waitUntil: (p) => ctx.waitUntil(p) });
  tracker.capture(error, "critical");
  await tracker.settled();
}

/**
 * Wraps the Worker's `queue` handler: an error that escapes it (the whole batch will be retried) is
 * captured with the queue's name as a tag before it is rethrown.
 */
export function monitorQueue(handler: QueueHandler): QueueHandler {
  return async function monitoredQueue(batch, env, ctx) {
    try {
      await handler(batch, env, ctx);
    } catch (error) {
      await captureEscaped(env, ctx, error, "queue", { queue: batch.queue });
      throw error;
    }
  };
}

/** Wraps the Worker's `scheduled` handler the same way, tagged with the cron expression. */
export function monitorScheduled(handler: ScheduledHandler): ScheduledHandler {
  return async function monitoredScheduled(controller, env, ctx) {
    try {
      await handler(controller, env, ctx);
    } catch (error) {
      await captureEscaped(env, ctx, error, "scheduled", { cron: controller.cron });
      throw error;
    }
  };
}

import type { QueueName } from "../../db/schema";
import type { Env } from "../../env";

/** Cloudflare Queues refuses a send delay above 12 hours; later jobs wait in D1 for the cron tick. */
export const MAX_QUEUE_DELAY_SECONDS = 43_200;

/** The most deliveries a job may get: every consumer in wrangler.toml allows at least 3 retries, most 5–8. */
export const MAX_JOB_ATTEMPTS = 10;
export const DEFAULT_JOB_ATTEMPTS = 3;

/** The body of every job message. Only the id travels: the Job row is the source of truth. */
export interface JobMessage {
  jobId: string;
  type: string;
}

export function isJobMessage(body: unknown): body is JobMessage {
  return (
    typeof body === "object" &&
    body !== null &&
    typeof (body as JobMessage).jobId === "string" &&
    typeof (body as JobMessage).type === "string"
  );
}

export function queueBinding(env: Env, queue: QueueName): Queue {
  switch (queue) {
    case "default":
      return env.QUEUE_DEFAULT;
    case "scoring":
      return env.QUEUE_SCORING;
    case "emails":
      return env.QUEUE_EMAILS;
    case "exports":
      return env.QUEUE_EXPORTS;
    case "ai":
      return env.QUEUE_AI;
    case "indexing":
      return env.QUEUE_INDEXING;
    case "webhooks":
      return env.QUEUE_WEBHOOKS;
  }
}

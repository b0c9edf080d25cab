import type { Env } from "../src/env";

/** Queue names as wrangler.toml declares them: `proctor-<name>` (or `proctor-<env>-<name>`). */
export function logicalQueueName(queue: string): string {
  return queue.slice(queue.lastIndexOf("-") + 1);
}

function isHealthProbe(body: unknown): boolean {
  return typeof body === "object" && body !== null && (body as { kind?: unknown }).kind === "health";
}

/** The Worker's `queue` entry point: one dispatch for every queue. */
export async function handleQueue(batch: MessageBatch, _env: Env, _ctx: ExecutionContext): Promise<void> {
  const queue = logicalQueueName(batch.queue);
  for (const message of batch.messages) {
    if (isHealthProbe(message.body)) {
      message.ack();
      continue;
    }
    console.warn(JSON.stringify({ level: "warn", message: "unroutable queue message", queue, id: message.id }));
    message.ack();
  }
}

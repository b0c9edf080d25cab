import { eq } from "drizzle-orm";
import type { Database } from "../../db";
import { queueStates, type QueueName } from "../../db/schema";

/** A missing row means the queue runs. */
export async function isQueuePaused(db: Database, queue: QueueName): Promise<boolean> {
  const row = await db.select({ paused: queueStates.paused }).from(queueStates).where(eq(queueStates.queue, queue)).get();
  return row?.paused ?? false;
}

export async function pausedQueues(db: Database): Promise<Set<QueueName>> {
  const rows = await db.select({ queue: queueStates.queue }).from(queueStates).where(eq(queueStates.paused, true));
  return new Set(rows.map((row) => row.queue));
}

/** The upsert that pauses or resumes a queue, for the caller's batch. */
export function setQueuePausedStatement(db: Database, queue: QueueName, paused: boolean, actorId: string | null, now: number) {
  const values = { paused, pausedAt: paused ? now : null, pausedBy: paused ? actorId : null, updatedAt: now };
  return db
    .insert(queueStates)
    .values({ queue, ...values })
    .onConflictDoUpdate({ target: queueStates.queue, set: values });
}

import { and, eq, inArray, sql } from "drizzle-orm";
import type { Database } from "../../db";
import { eventDeliveries, events } from "../../db/schema";
import { enqueueStatements, type PreparedJob } from "../queue";

/**
 * Statements that send deliveries again from their first attempt (an admin's retry of a failed
 * subscriber, a webhook replay or recovery): each row back to PENDING, its event back to PROCESSING,
 * and a dispatch job per row, for one batch with the caller's audit row. Only rows in `from` move.
 */
export function redeliverStatements(
  db: Database,
  rows: { eventId: string; subscriber: string }[],
  from: readonly ("FAILED" | "SUCCEEDED" | "SKIPPED")[],
  now: number,
) {
  const jobs: PreparedJob[] = rows.map((row) =>
    enqueueStatements(
      db,
      "event.dispatch",
      { eventId: row.eventId, subscriber: row.subscriber },
      { idempotencyKey: `event:${row.eventId}:${row.subscriber}:0:redeliver:${now}` },
    ),
  );
  const statements = rows.flatMap((row) => [
    db
      .update(eventDeliveries)
      .set({ status: "PENDING", attempts: 0, lastError: null, nextAttemptAt: now, processedAt: null, updatedAt: now })
      .where(
        and(
          eq(eventDeliveries.eventId, row.eventId),
          eq(eventDeliveries.subscriber, row.subscriber),
          inArray(eventDeliveries.status, [...from]),
        ),
      ),
    db
      .update(events)
      .set({ status: "PROCESSING", processedAt: null })
      .where(
        and(
          eq(events.id, row.eventId),
          sql`exists (select 1 from ${eventDeliveries} where ${eventDeliveries.eventId} = ${row.eventId} and ${eventDeliveries.status} = 'PENDING')`,
        ),
      ),
  ]);
  return {
    statements: [...statements, ...jobs.flatMap((job) => job.statements)],
    send: (env: Parameters<PreparedJob["send"]>[0]) => Promise.all(jobs.map((job) => job.send(env))),
  };
}

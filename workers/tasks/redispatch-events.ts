import { and, asc, eq, inArray, lt, sql } from "drizzle-orm";
import { eventDeliveries, events, jobs } from "../../src/db/schema";
import { enqueue } from "../../src/lib/queue";
import type { CronTask } from "../cron";

/** An event still PENDING this long after it was written lost its dispatch. */
const UNDISPATCHED_AFTER_MS = 5 * 60_000;
/** A retry this overdue lost its job. */
const OVERDUE_RETRY_AFTER_MS = 2 * 60_000;
/** A delivery PROCESSING this long died with its isolate (as a job does, workers/job-runner.ts). */
const STUCK_DELIVERY_AFTER_MS = 15 * 60_000;
const LIMIT = 100;

/** No dispatch job whose key matches this LIKE pattern is still waiting or running. */
const noLiveJob = (pattern: ReturnType<typeof sql>) =>
  sql`not exists (select 1 from ${jobs} where ${jobs.idempotencyKey} like ${pattern} and ${jobs.status} in ('PENDING', 'DELAYED', 'ACTIVE'))`;

/**
 * Each minute: events whose dispatch job was lost or failed (the event is still PENDING) are sent
 * again; subscriber retries whose job is gone are sent again; deliveries stuck in PROCESSING (the
 * isolate died mid-attempt) go back to RETRYING. Dispatch is idempotent, so a duplicate is harmless.
 */
export const redispatchEvents: CronTask = {
  name: "redispatch-events",
  async run({ env, db, now }) {
    const undispatched = await db
      .select({ id: events.id })
      .from(events)
      .where(
        and(
          eq(events.status, "PENDING"),
          lt(events.createdAt, now - UNDISPATCHED_AFTER_MS),
          noLiveJob(sql`'event:' || ${events.id}`),
          noLiveJob(sql`'event:' || ${events.id} || ':redispatch:%'`),
        ),
      )
      .orderBy(asc(events.createdAt))
      .limit(LIMIT);
    const [stuck] = await db.batch([
      db
        .update(eventDeliveries)
        .set({ status: "RETRYING", nextAttemptAt: now, lastError: "The attempt did not finish (its worker stopped)", updatedAt: now })
        .where(and(eq(eventDeliveries.status, "PROCESSING"), lt(eventDeliveries.updatedAt, now - STUCK_DELIVERY_AFTER_MS))),
    ]);
    const overdue = await db
      .select({ eventId: eventDeliveries.eventId, subscriber: eventDeliveries.subscriber, attempts: eventDeliveries.attempts })
      .from(eventDeliveries)
      .where(
        and(
          inArray(eventDeliveries.status, ["PENDING", "RETRYING"]),
          lt(eventDeliveries.nextAttemptAt, now - OVERDUE_RETRY_AFTER_MS),
          // The retry's own job (`…:<attempts>`), a deferral's, or an earlier re-send of it.
          noLiveJob(
            sql`'event:' || ${eventDeliveries.eventId} || ':' || ${eventDeliveries.subscriber} || ':' || ${eventDeliveries.attempts} || '%'`,
          ),
        ),
      )
      .orderBy(asc(eventDeliveries.nextAttemptAt))
      .limit(LIMIT);
    for (const { id } of undispatched)
      await enqueue(env, "event.dispatch", { eventId: id }, { idempotencyKey: `event:${id}:redispatch:${now}` });
    for (const row of overdue) {
      await enqueue(
        env,
        "event.dispatch",
        { eventId: row.eventId, subscriber: row.subscriber },
        { idempotencyKey: `event:${row.eventId}:${row.subscriber}:${row.attempts}:redispatch:${now}` },
      );
    }
    return {
      undispatched: undispatched.length,
      retries: overdue.length,
      stuck: (stuck as { meta?: { changes?: number } }).meta?.changes ?? 0,
    };
  },
};

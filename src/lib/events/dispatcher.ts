import { and, eq, inArray, lte, or, isNull, sql } from "drizzle-orm";
import { eventDeliveries, events, type DomainEvent, type EventDelivery, type EventDeliveryStatus } from "../../db/schema";
import { clock } from "../clock";
import { backoffDelaySeconds } from "../queue/backoff";
import { enqueueStatements } from "../queue";
import { DeferredDelivery, PermanentDeliveryError, type EventSubscriber, type SubscriberContext } from "./subscriber";

/** Attempts an internal subscriber gets unless it sets its own schedule. */
const DEFAULT_SUBSCRIBER_ATTEMPTS = 8;
/** A retry's message may arrive a little before its time (clock skew); one due this soon runs now. */
const EARLY_TOLERANCE_MS = 1_000;
const MAX_ERROR_CHARS = 1000;
/** Rows per INSERT: D1 binds at most 100 parameters per statement, and a delivery row has 9. */
const ROWS_PER_INSERT = 10;

export interface DispatchDeps extends SubscriberContext {
  subscribers: readonly EventSubscriber[];
  random?: () => number;
}

export interface DispatchResult {
  eventId: string;
  status: DomainEvent["status"] | "missing";
  deliveries: Record<string, EventDeliveryStatus>;
}

const deliveryKey = (subscriber: EventSubscriber, target: string | null) =>
  target === null ? subscriber.name : `${subscriber.name}:${target}`;

function findSubscriber(
  subscribers: readonly EventSubscriber[],
  key: string,
): { subscriber: EventSubscriber; target: string | null } | null {
  const colon = key.indexOf(":");
  const name = colon === -1 ? key : key.slice(0, colon);
  const subscriber = subscribers.find((s) => s.name === name);
  return subscriber ? { subscriber, target: colon === -1 ? null : key.slice(colon + 1) } : null;
}

const wants = (subscriber: EventSubscriber, event: DomainEvent) => subscriber.types === "all" || subscriber.types.includes(event.type);

function retryDelay(subscriber: EventSubscriber, attempt: number, random: () => number): number | null {
  if (subscriber.retryDelaySeconds) return subscriber.retryDelaySeconds(attempt, random);
  return attempt < DEFAULT_SUBSCRIBER_ATTEMPTS ? backoffDelaySeconds(attempt, random) : null;
}

const errorText = (error: unknown) =>
  (error instanceof Error ? `${error.name}: ${error.message}` : String(error)).slice(0, MAX_ERROR_CHARS);

/** The delivery rows this event needs: one per interested subscriber and target. Existing rows are kept as they are. */
async function fanOut(deps: DispatchDeps, event: DomainEvent, now: number): Promise<void> {
  const keys: string[] = [];
  for (const subscriber of deps.subscribers) {
    if (!wants(subscriber, event)) continue;
    const targets = subscriber.targets ? await subscriber.targets(deps, event) : [null];
    for (const target of targets) keys.push(deliveryKey(subscriber, target));
  }
  const rows = keys.map((subscriber) => ({
    eventId: event.id,
    subscriber,
    status: "PENDING" as const,
    attempts: 0,
    lastError: null,
    nextAttemptAt: now,
    processedAt: null,
    createdAt: now,
    updatedAt: now,
  }));
  const { db } = deps;
  const inserts = [];
  for (let i = 0; i < rows.length; i += ROWS_PER_INSERT) {
    inserts.push(
      db
        .insert(eventDeliveries)
        .values(rows.slice(i, i + ROWS_PER_INSERT))
        .onConflictDoNothing(),
    );
  }
  await db.batch([
    db
      .update(events)
      .set({ status: "PROCESSING", attempts: sql`${events.attempts} + 1` })
      .where(and(eq(events.id, event.id), eq(events.status, "PENDING"))),
    ...inserts,
  ]);
}

/** Runs one subscriber's attempt if its row is due and still unclaimed; settles the row and schedules any retry. */
async function runDelivery(deps: DispatchDeps, event: DomainEvent, row: EventDelivery): Promise<EventDeliveryStatus> {
  const { db } = deps;
  const now = clock.now();
  const found = findSubscriber(deps.subscribers, row.subscriber);
  const where = and(eq(eventDeliveries.eventId, row.eventId), eq(eventDeliveries.subscriber, row.subscriber));
  if (!found) {
    await db
      .update(eventDeliveries)
      .set({ status: "SKIPPED", lastError: "No such subscriber", processedAt: now, updatedAt: now })
      .where(and(where, eq(eventDeliveries.status, row.status)));
    return "SKIPPED";
  }
  // The claim: of two deliveries racing for this row, exactly one moves it to PROCESSING.
  const [claimed] = await db
    .update(eventDeliveries)
    .set({ status: "PROCESSING", attempts: sql`${eventDeliveries.attempts} + 1`, updatedAt: now })
    .where(and(where, eq(eventDeliveries.status, row.status), eq(eventDeliveries.attempts, row.attempts)))
    .returning();
  if (!claimed) return row.status;
  const attempt = claimed.attempts;
  const delay = retryDelay(found.subscriber, attempt, deps.random ?? Math.random);
  const retryAt = delay === null ? null : now + delay * 1000;
  const settle = and(where, eq(eventDeliveries.status, "PROCESSING"), eq(eventDeliveries.attempts, attempt));
  try {
    const outcome = await found.subscriber.handle(deps, event, found.target, { attempt, retryAt });
    const done = clock.now();
    const status = outcome === "skipped" ? "SKIPPED" : "SUCCEEDED";
    await db
      .update(eventDeliveries)
      .set({ status, lastError: null, nextAttemptAt: null, processedAt: done, updatedAt: done })
      .where(settle);
    return status;
  } catch (error) {
    const done = clock.now();
    if (error instanceof DeferredDelivery || (retryAt !== null && !(error instanceof PermanentDeliveryError))) {
      const deferred = error instanceof DeferredDelivery;
      const next = deferred ? done + error.seconds * 1000 : retryAt!;
      const delaySeconds = Math.max(0, Math.ceil((next - done) / 1000));
      const followUp = enqueueStatements(
        db,
        "event.dispatch",
        { eventId: event.id, subscriber: row.subscriber },
        {
          delaySeconds,
          idempotencyKey: `event:${event.id}:${row.subscriber}:${deferred ? attempt - 1 : attempt}${deferred ? `:deferred:${done}` : ""}`,
        },
      );
      await db.batch([
        db
          .update(eventDeliveries)
          .set({
            status: "RETRYING",
            attempts: deferred ? attempt - 1 : attempt,
            lastError: deferred ? row.lastError : errorText(error),
            nextAttemptAt: next,
            updatedAt: done,
          })
          .where(settle),
        ...followUp.statements,
      ]);
      await followUp.send(deps.env);
      if (!deferred)
        deps.logger.warn("event subscriber failed; retrying", {
          eventId: event.id,
          subscriber: row.subscriber,
          attempt,
          error: errorText(error),
        });
      return "RETRYING";
    }
    deps.logger.error("event subscriber failed", { eventId: event.id, subscriber: row.subscriber, attempt, error: errorText(error) });
    await db
      .update(eventDeliveries)
      .set({ status: "FAILED", lastError: errorText(error), nextAttemptAt: null, processedAt: done, updatedAt: done })
      .where(settle);
    return "FAILED";
  }
}

/**
 * The event's own status, from its deliveries: PROCESSING while any is still to run, then FAILED if any
 * gave up, else PROCESSED (also when no subscriber wanted it).
 */
function settleEventStatement(deps: Pick<SubscriberContext, "db">, eventId: string, now: number) {
  const open = sql`exists (select 1 from ${eventDeliveries} where ${eventDeliveries.eventId} = ${events.id} and ${eventDeliveries.status} in ('PENDING', 'PROCESSING', 'RETRYING'))`;
  const failed = sql`exists (select 1 from ${eventDeliveries} where ${eventDeliveries.eventId} = ${events.id} and ${eventDeliveries.status} = 'FAILED')`;
  return deps.db
    .update(events)
    .set({
      status: sql`case when ${open} then 'PROCESSING' when ${failed} then 'FAILED' else 'PROCESSED' end`,
      processedAt: sql`case when ${open} then null else ${now} end`,
      error: sql`(select substr(group_concat(${eventDeliveries.subscriber} || ': ' || ${eventDeliveries.lastError}, '; '), 1, 2000) from ${eventDeliveries} where ${eventDeliveries.eventId} = ${events.id} and ${eventDeliveries.status} = 'FAILED')`,
    })
    .where(and(eq(events.id, eventId), inArray(events.status, ["PROCESSING", "PROCESSED", "FAILED"])));
}

/**
 * The `event.dispatch` job: fans the event out to every subscriber that wants it (first run), then runs
 * each due delivery, all at once so a slow or failing subscriber holds up no other. With `only`, runs
 * just that subscriber's delivery (its retry). A delivery already done is never run again.
 */
export async function dispatchEvent(deps: DispatchDeps, eventId: string, only?: string): Promise<DispatchResult> {
  const { db } = deps;
  const event = await db.select().from(events).where(eq(events.id, eventId)).get();
  if (!event) return { eventId, status: "missing", deliveries: {} };
  const now = clock.now();
  if (!only) await fanOut(deps, event, now);
  const due = await db
    .select()
    .from(eventDeliveries)
    .where(
      and(
        eq(eventDeliveries.eventId, event.id),
        only ? eq(eventDeliveries.subscriber, only) : undefined,
        inArray(eventDeliveries.status, ["PENDING", "RETRYING"]),
        or(isNull(eventDeliveries.nextAttemptAt), lte(eventDeliveries.nextAttemptAt, now + EARLY_TOLERANCE_MS)),
      ),
    );
  await Promise.all(due.map((row) => runDelivery(deps, event, row)));
  await settleEventStatement(deps, event.id, clock.now());
  const [settled, rows] = await db.batch([
    db.select({ status: events.status }).from(events).where(eq(events.id, event.id)),
    db
      .select({ subscriber: eventDeliveries.subscriber, status: eventDeliveries.status })
      .from(eventDeliveries)
      .where(eq(eventDeliveries.eventId, event.id)),
  ]);
  return { eventId, status: settled[0]?.status ?? "missing", deliveries: Object.fromEntries(rows.map((r) => [r.subscriber, r.status])) };
}

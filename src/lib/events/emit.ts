import type { SQL } from "drizzle-orm";
import type { Database } from "../../db";
import { events, jobs, type DomainEvent, type EventType } from "../../db/schema";
import type { Env } from "../../env";
import { clock } from "../clock";
import { guardedInsert } from "../guarded-insert";
import { newId } from "../ids";
import { enqueueStatements } from "../queue";
import { EVENT_CATALOGUE, type EventData } from "./catalogue";

export interface EventInput<T extends EventType> {
  type: T;
  /** The id of the resource the event is about (its kind comes from the catalogue). */
  aggregateId: string;
  /** The test's or question's author, for object-level access; null: admins only. */
  ownerId?: string | null;
  data: EventData<T>;
  /**
   * Only when this holds at the moment the batch runs (the same guard as the change's conditional
   * UPDATE, placed before it), so a change that did not happen leaves no event.
   */
  when?: SQL;
}

/**
 * The outbox's one builder, for routes and jobs alike: the event row and its `event.dispatch` job, not
 * executed. Put both in the same `db.batch` as the change and its audit row, then call `send` (in a
 * route, `c.executionCtx.waitUntil(prepared.send(c.env))`). `actorId` is who caused it (null: the system).
 * The payload is checked against the catalogue's schema: a mismatch is a bug and throws here.
 */
export function eventStatements<T extends EventType>(db: Database, actorId: string | null, input: EventInput<T>, now = clock.now()) {
  const entry = EVENT_CATALOGUE[input.type];
  const payload = entry.schema.parse(input.data) as Record<string, unknown>;
  const event: DomainEvent = {
    id: newId("event", now),
    type: input.type,
    aggregateType: entry.aggregate,
    aggregateId: input.aggregateId,
    actorId,
    ownerId: input.ownerId ?? null,
    version: entry.version,
    payload,
    status: "PENDING",
    attempts: 0,
    error: null,
    processedAt: null,
    createdAt: now,
  };
  const job = enqueueStatements(db, "event.dispatch", { eventId: event.id }, { idempotencyKey: `event:${event.id}` });
  const statements = input.when
    ? ([guardedInsert(db, events, event, input.when), guardedInsert(db, jobs, job.job, input.when)] as const)
    : ([db.insert(events).values(event), job.statements[0]] as const);
  return { event, statements, send: (env: Env) => job.send(env) };
}

/** A Drizzle statement as a D1 prepared statement, for code that batches raw D1 statements (workers/scoring.ts). */
export function asD1Statement(d1: D1Database, query: { toSQL(): { sql: string; params: unknown[] } }): D1PreparedStatement {
  const { sql, params } = query.toSQL();
  return d1.prepare(sql).bind(...params);
}

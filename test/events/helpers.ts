import { env } from "cloudflare:workers";
import { eq } from "drizzle-orm";
import { createDb } from "../../src/db";
import { eventDeliveries, events, type EventType } from "../../src/db/schema";
import type { EventData } from "../../src/lib/events/catalogue";
import { dispatchEvent } from "../../src/lib/events/dispatcher";
import { eventStatements } from "../../src/lib/events/emit";
import type { EventSubscriber } from "../../src/lib/events/subscriber";
import { Logger } from "../../src/lib/logger";
import { capturingEnv } from "../jobs/helpers";

export const db = createDb(env.DB);

/** Emits an event the way a route does (its own batch), with queue sends captured so nothing runs in the background. */
export async function emitEvent<T extends EventType>(
  type: T,
  data: EventData<T>,
  opts: { aggregateId?: string; ownerId?: string | null } = {},
) {
  const captured = capturingEnv();
  const prepared = eventStatements(db, null, { type, aggregateId: opts.aggregateId ?? "agg_test", ownerId: opts.ownerId ?? null, data });
  await db.batch([prepared.statements[0], prepared.statements[1]]);
  await prepared.send(captured.env);
  return { event: prepared.event, captured };
}

/** Runs the dispatcher over `subscribers` with captured queue sends (the follow-up retry jobs land in `sent`). */
export function dispatcher(subscribers: EventSubscriber[], bindings = capturingEnv()) {
  const deps = { env: bindings.env, db, logger: new Logger({}, "critical"), subscribers, random: () => 0.5 };
  return { sent: bindings.sent, run: (eventId: string, only?: string) => dispatchEvent(deps, eventId, only) };
}

export async function eventRow(id: string) {
  return (await db.select().from(events).where(eq(events.id, id)).get())!;
}

export async function deliveryRows(eventId: string) {
  const rows = await db.select().from(eventDeliveries).where(eq(eventDeliveries.eventId, eventId));
  return Object.fromEntries(rows.map((r) => [r.subscriber, r]));
}

/** An internal subscriber that records what it handled and fails while `failing()` says so. */
export function recordingSubscriber(
  name: string,
  options: { types?: EventType[] | "all"; failing?: () => boolean; permanent?: boolean } = {},
) {
  const calls: { eventId: string; attempt: number }[] = [];
  const subscriber: EventSubscriber = {
    name,
    types: options.types ?? "all",
    async handle(_ctx, event, _target, { attempt }) {
      calls.push({ eventId: event.id, attempt });
      if (options.failing?.()) throw new Error(`${name} is down`);
    },
  };
  return { subscriber, calls };
}

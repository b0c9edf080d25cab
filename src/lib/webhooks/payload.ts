import type { DomainEvent } from "../../db/schema";
import { iso } from "../clock";
import { AGGREGATE_PATHS } from "../events/catalogue";

const encoder = new TextEncoder();

/**
 * The body every endpoint receives: `{ type, timestamp, data }`. A body over `maxBytes` carries the
 * resource's id and the API path to read it from instead of the data (`truncated: true`).
 */
export function webhookBody(
  event: Pick<DomainEvent, "type" | "createdAt" | "payload" | "aggregateType" | "aggregateId">,
  maxBytes: number,
): string {
  const full = JSON.stringify({ type: event.type, timestamp: iso(event.createdAt), data: event.payload });
  if (encoder.encode(full).length <= maxBytes) return full;
  const path = AGGREGATE_PATHS[event.aggregateType];
  return JSON.stringify({
    type: event.type,
    timestamp: iso(event.createdAt),
    data: { truncated: true, resource: event.aggregateType, id: event.aggregateId, url: path ? `${path}${event.aggregateId}` : null },
  });
}

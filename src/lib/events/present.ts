import type { DomainEvent, EventDelivery } from "../../db/schema";
import { iso, isoOrNull } from "../clock";

export function presentEvent(event: DomainEvent) {
  return {
    id: event.id,
    type: event.type,
    version: event.version,
    aggregateType: event.aggregateType,
    aggregateId: event.aggregateId,
    actorId: event.actorId,
    ownerId: event.ownerId,
    payload: event.payload,
    status: event.status,
    dispatches: event.attempts,
    error: event.error,
    processedAt: isoOrNull(event.processedAt),
    createdAt: iso(event.createdAt),
  };
}

export function presentEventDelivery(delivery: EventDelivery) {
  return {
    subscriber: delivery.subscriber,
    status: delivery.status,
    attempts: delivery.attempts,
    lastError: delivery.lastError,
    nextAttemptAt: isoOrNull(delivery.nextAttemptAt),
    processedAt: isoOrNull(delivery.processedAt),
    createdAt: iso(delivery.createdAt),
    updatedAt: iso(delivery.updatedAt),
  };
}

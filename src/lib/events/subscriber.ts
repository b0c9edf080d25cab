import type { Database } from "../../db";
import type { DomainEvent, EventType } from "../../db/schema";
import type { Env } from "../../env";
import type { Logger } from "../logger";

export interface SubscriberContext {
  env: Env;
  db: Database;
  logger: Logger;
}

export interface DeliveryAttempt {
  /** 1 on the first try. */
  attempt: number;
  /** When the dispatcher will try again if this attempt throws; null when this is the last one. */
  retryAt: number | null;
}

/**
 * Something that reacts to events: an internal handler (email, search indexing, analytics) or the
 * webhook deliverer. Its progress on each event is an `event_deliveries` row per target, retried on its
 * own. Handlers must be idempotent: an attempt may run again after a crash mid-way.
 */
export interface EventSubscriber {
  /** Stable; the delivery rows' `subscriber` is this name, or `<name>:<target>` for a fan-out subscriber. */
  name: string;
  types: readonly EventType[] | "all";
  /**
   * A subscriber that serves several targets per event (one per webhook endpoint) names them here;
   * each gets its own delivery row. Default: one delivery, named after the subscriber.
   */
  targets?(ctx: SubscriberContext, event: DomainEvent): Promise<string[]>;
  /** Succeeds, returns "skipped" (nothing to do), or throws to be retried (PermanentDeliveryError: not retried). */
  handle(ctx: SubscriberContext, event: DomainEvent, target: string | null, attempt: DeliveryAttempt): Promise<void | "skipped">;
  /** Seconds before the next attempt after `attempt` failed ones, or null to give up. Default: job backoff, 8 attempts. */
  retryDelaySeconds?(attempt: number, random: () => number): number | null;
}

/** A failure retrying cannot fix (the endpoint is disabled, answered 410): the delivery fails at once. */
export class PermanentDeliveryError extends Error {
  override readonly name = "PermanentDeliveryError";
}

/** Not now, and not the subscriber's fault (a rate limit): try again after `seconds` without counting an attempt. */
export class DeferredDelivery extends Error {
  override readonly name = "DeferredDelivery";
  constructor(readonly seconds: number) {
    super(`Deferred for ${seconds}s`);
  }
}

import { dispatchEvent } from "../src/lib/events/dispatcher";
import type { EventSubscriber } from "../src/lib/events/subscriber";
import { EVENT_SUBSCRIBERS } from "../src/lib/events/subscribers";
import type { JobPayload } from "../src/lib/queue/job-types";
import type { JobHandler } from "./job-handler";

/** The `event.dispatch` job over the registered subscribers (tests pass their own list). */
export function eventDispatchJob(subscribers: readonly EventSubscriber[] = EVENT_SUBSCRIBERS): JobHandler<JobPayload<"event.dispatch">> {
  return ({ env, db, logger, payload }) => dispatchEvent({ env, db, logger, subscribers }, payload.eventId, payload.subscriber);
}

import type { DomainEvent } from "../../db/schema";
import type { EventSubscriber } from "../events/subscriber";
import { enqueue } from "../queue";

/**
 * Real-time index sync: a question or test change queues its index job on the `indexing` queue. The
 * job reads the row as it is when it runs, so while one waits (coalesce key) later changes need no
 * job of their own; the version guard of the index keeps a slow job from undoing a faster one.
 */
export const searchSubscriber: EventSubscriber = {
  name: "search",
  types: ["question.created", "question.updated", "question.deleted", "test.created", "test.updated", "test.published", "test.deleted"],
  async handle({ env }, event: DomainEvent) {
    if (event.aggregateType === "question") {
      await enqueue(env, "index.question", { questionId: event.aggregateId }, { coalesceKey: `index:${event.aggregateId}` });
    } else {
      await enqueue(env, "index.test", { testId: event.aggregateId }, { coalesceKey: `index:${event.aggregateId}` });
    }
  },
};

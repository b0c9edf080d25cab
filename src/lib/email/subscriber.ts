import { loadConfig } from "../../config";
import type { EventType } from "../../db/schema";
import type { EventSubscriber } from "../events/subscriber";
import { EMAIL_TRIGGERS, mailForEvent } from "./triggers";

/**
 * Mail driven by events: each event type in EMAIL_TRIGGERS queues its messages (rendered into
 * email_messages, sent by `email.send` jobs); a retried delivery queues nothing twice.
 */
export const emailSubscriber: EventSubscriber = {
  name: "email",
  types: Object.keys(EMAIL_TRIGGERS) as EventType[],
  async handle({ env, db }, event) {
    return (await mailForEvent(env, db, loadConfig(env), event)) > 0 ? undefined : "skipped";
  },
};

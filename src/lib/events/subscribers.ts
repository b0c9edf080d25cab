import { emailSubscriber } from "../email/subscriber";
import { searchSubscriber } from "../search/subscriber";
import { webhookSubscriber } from "../webhooks/subscriber";
import type { EventSubscriber } from "./subscriber";

/**
 * Every subscriber of events, in one list. A subscriber lives beside its feature
 * (`src/lib/webhooks/subscriber.ts`, later `src/lib/email/subscriber.ts`, …) and is registered here with
 * one line. Its name is stored on its delivery rows: never rename one that has run.
 */
export const EVENT_SUBSCRIBERS: readonly EventSubscriber[] = [webhookSubscriber, emailSubscriber, searchSubscriber];

import { loadConfig } from "../../src/config";
import { deleteInChunks, type DeleteTarget } from "../../src/db/delete-in-chunks";
import { DAY_MS } from "../../src/lib/clock";
import type { CronTask } from "../cron";

/**
 * Only events every subscriber is done with. PENDING, PROCESSING and FAILED events stay: they are
 * work still to do or to look at. Webhook deliveries keep their event type when the event goes.
 */
export const PROCESSED_EVENTS: DeleteTarget = { table: "events", where: "status = 'PROCESSED' AND created_at < ?" };

/** Daily: processed events older than EVENT_RETENTION_DAYS. */
export const pruneProcessedEventsTask: CronTask = {
  name: "prune-processed-events",
  run: ({ env, now }) => deleteInChunks(env.DB, PROCESSED_EVENTS, [now - loadConfig(env).eventRetentionDays * DAY_MS]),
};

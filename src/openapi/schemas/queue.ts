import { z } from "zod";
import { JOB_STATUSES, QUEUE_NAMES } from "../../db/schema";

/** One queue's dashboard row (src/routes/admin-queues.ts). */
export const queueStatsSchema = z.object({
  name: z.enum(QUEUE_NAMES),
  waiting: z.number().int(),
  delayed: z.number().int(),
  active: z.number().int(),
  completed: z.number().int(),
  failed: z.number().int(),
  cancelled: z.number().int(),
  paused: z.boolean(),
  throughputPerMinute: z.number(),
  avgDurationMs: z.number().nullable(),
});

export const queuePausedSchema = z.object({ name: z.enum(QUEUE_NAMES), paused: z.boolean(), resent: z.number().int().optional() });
export const queueCleanedSchema = z.object({ name: z.enum(QUEUE_NAMES), status: z.enum(JOB_STATUSES), deleted: z.number().int() });

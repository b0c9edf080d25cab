import { z } from "zod";
import { JOB_STATUSES, JOB_TYPES, QUEUE_NAMES } from "../../db/schema";
import { isoDateTime, prefixedId } from "./primitives";

/** A background job as its owner sees it (src/lib/queue/present.ts). */
export const jobSchema = z
  .object({
    id: prefixedId("job"),
    type: z.enum(JOB_TYPES),
    queue: z.enum(QUEUE_NAMES),
    status: z.enum(JOB_STATUSES),
    attempts: z.number().int(),
    maxAttempts: z.number().int(),
    progress: z.number(),
    progressMessage: z.string().nullable(),
    result: z.unknown().meta({ description: "The job type's result, null until it completes." }),
    error: z.string().nullable(),
    createdAt: isoDateTime,
    startedAt: isoDateTime.nullable(),
    finishedAt: isoDateTime.nullable(),
    scheduledFor: isoDateTime.nullable(),
  })
  .meta({ id: "Job" });

export const adminJobSchema = jobSchema
  .extend({
    priority: z.number().int(),
    payload: z.unknown(),
    ownerId: prefixedId("user").nullable(),
    idempotencyKey: z.string().nullable(),
    coalesceKey: z.string().nullable(),
    enqueuedAt: isoDateTime.nullable(),
    updatedAt: isoDateTime,
  })
  .meta({ id: "AdminJob" });

import { z } from "zod";
import { ERROR_SEVERITIES, ERROR_SOURCES } from "../../db/schema";
import { isoDateTime, prefixedId } from "./primitives";

/** One tracked error, grouped by fingerprint (src/routes/admin-errors.ts). */
export const errorLogSchema = z
  .object({
    id: prefixedId("error"),
    severity: z.enum(ERROR_SEVERITIES),
    message: z.string(),
    errorType: z.string().nullable(),
    errorCode: z.string().nullable(),
    fingerprint: z.string(),
    occurrences: z.number().int(),
    source: z.enum(ERROR_SOURCES),
    method: z.string().nullable(),
    path: z.string().nullable(),
    requestId: z.string().nullable(),
    clientRequestId: z.string().nullable(),
    userId: z.string().nullable(),
    firstSeenAt: isoDateTime,
    lastSeenAt: isoDateTime,
    resolved: z.boolean(),
    resolvedAt: isoDateTime.nullable(),
    resolvedBy: z.string().nullable(),
    resolutionNote: z.string().nullable(),
    lastAlertedAt: isoDateTime.nullable(),
  })
  .meta({ id: "ErrorLog" });

export const errorLogDetailSchema = z.object({
  error: errorLogSchema.extend({ stack: z.string().nullable(), headers: z.unknown(), body: z.unknown() }),
});

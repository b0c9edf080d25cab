import { z } from "zod";
import { SECURITY_EVENT_STATUSES, SECURITY_EVENT_TYPES, SECURITY_SEVERITIES } from "../../db/schema";
import { isoDateTime, prefixedId } from "./primitives";

/** A security event (src/routes/admin-security-events.ts). */
export const securityEventSchema = z
  .object({
    id: prefixedId("securityEvent"),
    type: z.enum(SECURITY_EVENT_TYPES),
    severity: z.enum(SECURITY_SEVERITIES),
    status: z.enum(SECURITY_EVENT_STATUSES),
    actorId: z.string().nullable(),
    apiKeyId: z.string().nullable(),
    ip: z.string().nullable(),
    userAgent: z.string().nullable(),
    location: z.object({
      country: z.string().nullable(),
      city: z.string().nullable(),
      latitude: z.number().nullable(),
      longitude: z.number().nullable(),
    }),
    requestId: z.string().nullable(),
    details: z.looseObject({}),
    resolutionNote: z.string().nullable(),
    updatedBy: z.string().nullable(),
    createdAt: isoDateTime,
    updatedAt: isoDateTime,
  })
  .meta({ id: "SecurityEvent" });

export const securityEventDetailSchema = securityEventSchema.extend({
  history: z.array(
    z.object({
      at: isoDateTime,
      by: z.string().nullable(),
      from: z.enum(SECURITY_EVENT_STATUSES).nullable(),
      to: z.enum(SECURITY_EVENT_STATUSES).nullable(),
      note: z.string().nullable(),
    }),
  ),
});

import { z } from "zod";
import { ACTOR_TYPES, AUDIT_ACTIONS, AUDIT_STATUSES } from "../../db/schema";
import { isoDateTime, prefixedId } from "./primitives";

/** One audit row (src/lib/audit/present.ts). */
export const auditLogSchema = z
  .object({
    id: prefixedId("audit"),
    action: z.enum(AUDIT_ACTIONS),
    status: z.enum(AUDIT_STATUSES),
    actorType: z.enum(ACTOR_TYPES),
    actorId: z.string().nullable(),
    apiKeyId: z.string().nullable(),
    targetType: z.string().nullable(),
    targetId: z.string().nullable(),
    changes: z.unknown().meta({ description: "`{ before, after }` of the change, secrets redacted; null when none." }),
    ip: z.string().nullable(),
    userAgent: z.string().nullable(),
    country: z.string().nullable(),
    city: z.string().nullable(),
    colo: z.string().nullable(),
    requestId: z.string().nullable(),
    clientRequestId: z.string().nullable(),
    durationMs: z.number().nullable(),
    metadata: z.unknown(),
    createdAt: isoDateTime,
  })
  .meta({ id: "AuditLog" });

export const auditLogDetailSchema = z.object({
  auditLog: auditLogSchema.extend({
    diff: z
      .array(z.object({ field: z.string(), kind: z.enum(["added", "removed", "changed"]), before: z.unknown(), after: z.unknown() }))
      .nullable(),
  }),
});

export const auditVerifyReportSchema = z.object({
  ok: z.boolean(),
  from: isoDateTime,
  to: isoDateTime,
  periodsChecked: z.number().int(),
  prunedPeriods: z.number().int(),
  rowsChecked: z.number().int(),
  sealedThrough: isoDateTime.nullable(),
  findings: z.array(z.looseObject({ kind: z.string() })),
});

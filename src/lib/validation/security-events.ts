import { z } from "zod";
import { SECURITY_EVENT_STATUSES, SECURITY_EVENT_TYPES, SECURITY_SEVERITIES } from "../../db/schema";
import { paginationQuery } from "./pagination";
import { plainText } from "./text";

export const securityEventIdParam = z.strictObject({ id: z.string().regex(/^sev_[0-9A-Z]{26}$/, "Expected a security event id (sev_…)") });

/** `GET /v1/admin/security-events`: every filter optional; `from`/`to` bound `createdAt` (inclusive). */
export const securityEventListQuery = paginationQuery
  .extend({
    type: z.enum(SECURITY_EVENT_TYPES).optional(),
    severity: z.enum(SECURITY_SEVERITIES).optional(),
    status: z.enum(SECURITY_EVENT_STATUSES).optional(),
    actorId: z.string().max(64).optional(),
    ip: z.string().max(64).optional(),
    from: z.iso.datetime({ offset: true }).optional(),
    to: z.iso.datetime({ offset: true }).optional(),
  })
  .refine((query) => !query.from || !query.to || Date.parse(query.from) <= Date.parse(query.to), {
    path: ["from"],
    message: "`from` must not be after `to`",
  });
export type SecurityEventListQuery = z.infer<typeof securityEventListQuery>;

/** The triage states an operator moves an event to; OPEN is only ever the detector's. */
const SECURITY_EVENT_TRIAGE_STATUSES = ["INVESTIGATING", "RESOLVED", "FALSE_POSITIVE"] as const;

export const securityEventPatch = z.strictObject({
  status: z.enum(SECURITY_EVENT_TRIAGE_STATUSES),
  note: plainText({ max: 2000, multiline: true }),
});
export type SecurityEventPatch = z.infer<typeof securityEventPatch>;

/** Cursor over (createdAt, id) descending, the order the (x, created_at) indexes serve. */
export const securityEventCursor = z.object({ t: z.number().int(), id: z.string().max(64) });

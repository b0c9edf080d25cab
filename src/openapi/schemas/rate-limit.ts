import { z } from "zod";
import { RATE_LIMIT_KEY_KINDS } from "../../db/schema";
import { isoDateTime, prefixedId } from "./primitives";

/** A block in force (src/routes/admin-rate-limits.ts). */
export const rateLimitBlockSchema = z.object({
  policy: z.string(),
  keyKind: z.enum(RATE_LIMIT_KEY_KINDS),
  key: z.string(),
  blockedUntil: isoDateTime,
  level: z.number().int(),
  blockedAt: isoDateTime,
  breachesInWindow: z.number().int(),
  logId: prefixedId("rateLimitLog"),
});

/** One policy, key and window of the breach log. */
export const rateLimitLogSchema = z.object({
  id: prefixedId("rateLimitLog"),
  policy: z.string(),
  keyKind: z.enum(RATE_LIMIT_KEY_KINDS),
  key: z.string(),
  windowStart: isoDateTime,
  windowSeconds: z.number().int(),
  breaches: z.number().int(),
  limit: z.number().int(),
  blockedUntil: isoDateTime.nullable(),
  blockLevel: z.number().int(),
  createdAt: isoDateTime,
  updatedAt: isoDateTime,
});

export const unblockedSchema = z.object({
  unblocked: z.object({ policy: z.string(), key: z.string(), blockedUntil: isoDateTime, level: z.number().int() }),
});

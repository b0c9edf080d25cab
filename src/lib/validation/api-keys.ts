import { z } from "zod";
import { ALL_SCOPES } from "../auth/scopes";
import { plainText } from "./text";

export const API_KEY_MAX_LIFETIME_MS = 366 * 24 * 3600 * 1000;
/** The longest an old secret keeps working after a rotation. */
const API_KEY_MAX_GRACE_SECONDS = 24 * 3600;

export const scopeSchema = z.enum(ALL_SCOPES as [string, ...string[]], "Unknown scope");

const apiKeyRateLimit = z.strictObject({
  limit: z.number().int().min(1).max(100_000),
  windowSeconds: z.number().int().min(1).max(86_400),
});

/** `expiresAt` must be in the future (checked against the clock in the route). */
export const apiKeyCreateBody = z.strictObject({
  name: plainText({ max: 100 }),
  scopes: z
    .array(scopeSchema)
    .min(1, "Grant at least one scope")
    .max(ALL_SCOPES.length)
    .refine((scopes) => new Set(scopes).size === scopes.length, "Scopes must not repeat"),
  expiresAt: z.iso.datetime({ offset: true }).optional(),
  rateLimit: apiKeyRateLimit.optional(),
});
export type ApiKeyCreateBody = z.infer<typeof apiKeyCreateBody>;

export const apiKeyRotateBody = z.strictObject({
  /** Seconds the old secret keeps working; 0 or absent stops it at once. */
  gracePeriodSeconds: z.number().int().min(0).max(API_KEY_MAX_GRACE_SECONDS).optional(),
});
export type ApiKeyRotateBody = z.infer<typeof apiKeyRotateBody>;

export const apiKeyIdParam = z.strictObject({ id: z.string().regex(/^key_[0-9A-Z]{26}$/, "Invalid API key id") });

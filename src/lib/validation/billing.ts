import { z } from "zod";
import { plainText, richText } from "./text";

const planId = z.string().regex(/^pln_[0-9A-Z]{26}$/, "Expected a plan id (pln_…)");
const isoTime = z.iso.datetime({ offset: true });

const planFields = {
  name: plainText({ max: 100 }),
  description: richText({ max: 2_000, min: 0 }).nullish(),
  priceCents: z.number().int().min(0).max(100_000_000),
  currency: z.string().regex(/^[A-Z]{3}$/, "An ISO 4217 code such as USD"),
  intervalMonths: z.number().int().min(1).max(36),
  features: z.array(plainText({ max: 200 })).max(30),
  /** AI tokens a subscriber may use per month; null: no limit. */
  aiMonthlyTokens: z.number().int().min(0).max(1_000_000_000).nullable(),
  active: z.boolean(),
};

export const planInput = z.strictObject({
  ...planFields,
  aiMonthlyTokens: planFields.aiMonthlyTokens.default(null),
  currency: planFields.currency.default("USD"),
  features: planFields.features.default([]),
  active: planFields.active.default(true),
});
export type PlanInput = z.infer<typeof planInput>;

export const planPatch = z
  .strictObject(planFields)
  .partial()
  .refine((value) => Object.keys(value).length > 0, "Send at least one field to change");
export type PlanPatch = z.infer<typeof planPatch>;

const couponCode = z
  .string()
  .trim()
  .regex(/^[A-Za-z0-9_-]{3,32}$/, "3–32 letters, digits, '-' or '_'")
  .transform((code) => code.toUpperCase());

export const couponInput = z
  .strictObject({
    code: couponCode,
    /** percent: `value` is 1–100 (% off); fixed: `value` is the amount off in cents. */
    kind: z.enum(["percent", "fixed"]),
    value: z.number().int().min(1).max(100_000_000),
    validFrom: isoTime.nullish(),
    validUntil: isoTime.nullish(),
    maxRedemptions: z.number().int().min(1).max(10_000_000).nullish(),
    /** Plans the coupon applies to; omitted = every plan. */
    planIds: z.array(planId).min(1).max(50).nullish(),
    active: z.boolean().default(true),
  })
  .superRefine((value, ctx) => {
    if (value.kind === "percent" && value.value > 100) {
      ctx.addIssue({ code: "custom", path: ["value"], message: "A percent coupon takes 1–100" });
    }
    if (value.validFrom && value.validUntil && Date.parse(value.validFrom) >= Date.parse(value.validUntil)) {
      ctx.addIssue({ code: "custom", path: ["validUntil"], message: "validUntil must be after validFrom" });
    }
  });
export type CouponInput = z.infer<typeof couponInput>;

/** Admins may pause a coupon, move its end, or change its cap (never below what was already redeemed). */
export const couponPatch = z
  .strictObject({
    active: z.boolean(),
    validUntil: isoTime.nullable(),
    maxRedemptions: z.number().int().min(1).max(10_000_000).nullable(),
  })
  .partial()
  .refine((value) => Object.keys(value).length > 0, "Send at least one field to change");
export type CouponPatch = z.infer<typeof couponPatch>;

export const couponValidateInput = z.strictObject({ code: couponCode, planId });

export const paymentFailureInput = z.strictObject({ reason: plainText({ max: 200 }) });

export const subscriptionInput = z.strictObject({ planId, couponCode: couponCode.optional() });
export type SubscriptionInput = z.infer<typeof subscriptionInput>;

export const subscriptionListQuery = z.object({
  status: z.enum(["PENDING", "ACTIVE", "CANCELLED", "EXPIRED"]).optional(),
  /** Admins only: one user's subscriptions. */
  userId: z.string().max(64).optional(),
  limit: z.coerce.number().int().min(1).max(100).default(20),
  cursor: z.string().max(512).optional(),
});

import { z } from "zod";
import { SUBSCRIPTION_STATUSES } from "../../db/schema";
import { isoDateTime, prefixedId } from "./primitives";

const cents = z.number().int().meta({ description: "An amount in the currency's minor unit." });

export const planSchema = z
  .object({
    id: prefixedId("plan"),
    name: z.string(),
    description: z.string().nullable(),
    priceCents: cents,
    currency: z.string().meta({ examples: ["USD"] }),
    intervalMonths: z.number().int(),
    features: z.array(z.string()),
    aiMonthlyTokens: z
      .number()
      .int()
      .nullable()
      .meta({ description: "AI tokens a subscriber may use per calendar month (UTC); null: no limit (docs/ai.md)." }),
    active: z.boolean(),
    createdAt: isoDateTime,
    updatedAt: isoDateTime,
  })
  .meta({ id: "Plan" });

export const couponSchema = z
  .object({
    id: prefixedId("coupon"),
    code: z.string(),
    kind: z.enum(["percent", "fixed"]),
    value: z.number().int().meta({ description: "Percent off (1–100), or cents off." }),
    validFrom: isoDateTime.nullable(),
    validUntil: isoDateTime.nullable(),
    maxRedemptions: z.number().int().nullable(),
    redemptionCount: z.number().int(),
    planIds: z.array(prefixedId("plan")).nullable(),
    active: z.boolean(),
    createdBy: prefixedId("user").nullable(),
    createdAt: isoDateTime,
    updatedAt: isoDateTime,
  })
  .meta({ id: "Coupon" });

export const couponVerdictSchema = z.union([
  z.object({
    code: z.string(),
    planId: prefixedId("plan"),
    valid: z.literal(true),
    priceCents: cents,
    discountCents: cents,
    amountCents: cents,
    currency: z.string(),
  }),
  z.object({
    code: z.string(),
    planId: prefixedId("plan"),
    valid: z.literal(false),
    reason: z.enum(["unknown_code", "inactive", "not_yet_valid", "expired", "not_applicable", "already_redeemed", "exhausted"]),
    message: z.string(),
  }),
]);

export const subscriptionSchema = z
  .object({
    id: prefixedId("subscription"),
    userId: prefixedId("user"),
    planId: prefixedId("plan"),
    couponId: prefixedId("coupon").nullable(),
    couponCode: z.string().nullable().optional().meta({ description: "On creation: the coupon code applied, if any." }),
    status: z.enum(SUBSCRIPTION_STATUSES),
    priceCents: cents,
    discountCents: cents,
    amountCents: cents,
    currency: z.string(),
    startsAt: isoDateTime.nullable(),
    endsAt: isoDateTime.nullable(),
    activatedBy: prefixedId("user").nullable(),
    createdAt: isoDateTime,
    updatedAt: isoDateTime,
  })
  .meta({ id: "Subscription" });

import { iso, isoOrNull } from "../clock";
import type { Coupon, Plan, Subscription } from "../../db/schema";

/** Why a coupon cannot be used, as a stable code clients can switch on. */
export type CouponRefusal = "unknown_code" | "inactive" | "not_yet_valid" | "expired" | "exhausted" | "already_redeemed" | "not_applicable";

const REFUSAL_MESSAGES: Record<CouponRefusal, string> = {
  unknown_code: "No coupon has this code.",
  inactive: "This coupon is no longer active.",
  not_yet_valid: "This coupon is not valid yet.",
  expired: "This coupon has expired.",
  exhausted: "This coupon has reached its maximum number of redemptions.",
  already_redeemed: "You have already used this coupon.",
  not_applicable: "This coupon does not apply to the chosen plan.",
};

export type CouponVerdict =
  | { valid: true; priceCents: number; discountCents: number; amountCents: number; currency: string }
  | { valid: false; reason: CouponRefusal; message: string };

export const refusal = (reason: CouponRefusal): CouponVerdict => ({ valid: false, reason, message: REFUSAL_MESSAGES[reason] });

/** Amount off a price: a percent rounds to the nearest cent; a fixed amount never takes the price below zero. */
function discountFor(coupon: Pick<Coupon, "kind" | "value">, priceCents: number): number {
  const off = coupon.kind === "PERCENT" ? Math.round((priceCents * coupon.value) / 100) : coupon.value;
  return Math.min(Math.max(off, 0), priceCents);
}

/**
 * Whether `coupon` can be used by this user on `plan` now, and what it would cost. The redemption
 * cap is checked again atomically when the subscription is written; this is the answer to show.
 */
export function judgeCoupon(coupon: Coupon | undefined, plan: Plan, now: number, alreadyRedeemed: boolean): CouponVerdict {
  if (!coupon) return refusal("unknown_code");
  if (!coupon.active) return refusal("inactive");
  if (coupon.validFrom != null && now < coupon.validFrom) return refusal("not_yet_valid");
  if (coupon.validUntil != null && now >= coupon.validUntil) return refusal("expired");
  if (coupon.planIds && !coupon.planIds.includes(plan.id)) return refusal("not_applicable");
  if (alreadyRedeemed) return refusal("already_redeemed");
  if (coupon.maxRedemptions != null && coupon.redemptionCount >= coupon.maxRedemptions) return refusal("exhausted");
  const discountCents = discountFor(coupon, plan.priceCents);
  return { valid: true, priceCents: plan.priceCents, discountCents, amountCents: plan.priceCents - discountCents, currency: plan.currency };
}

/** Calendar months later (Jan 31 + 1 month = the last day of February). */
export function addMonths(epochMs: number, months: number): number {
  const date = new Date(epochMs);
  const day = date.getUTCDate();
  date.setUTCDate(1);
  date.setUTCMonth(date.getUTCMonth() + months);
  const lastDay = new Date(Date.UTC(date.getUTCFullYear(), date.getUTCMonth() + 1, 0)).getUTCDate();
  date.setUTCDate(Math.min(day, lastDay));
  return date.getTime();
}

export function presentPlan(plan: Plan) {
  return {
    id: plan.id,
    name: plan.name,
    description: plan.description,
    priceCents: plan.priceCents,
    currency: plan.currency,
    intervalMonths: plan.intervalMonths,
    features: plan.features,
    aiMonthlyTokens: plan.aiMonthlyTokens,
    active: plan.active,
    createdAt: iso(plan.createdAt),
    updatedAt: iso(plan.updatedAt),
  };
}

export function presentCoupon(coupon: Coupon) {
  return {
    id: coupon.id,
    code: coupon.code,
    kind: coupon.kind === "PERCENT" ? "percent" : "fixed",
    value: coupon.value,
    validFrom: isoOrNull(coupon.validFrom),
    validUntil: isoOrNull(coupon.validUntil),
    maxRedemptions: coupon.maxRedemptions,
    redemptionCount: coupon.redemptionCount,
    planIds: coupon.planIds,
    active: coupon.active,
    createdBy: coupon.createdBy,
    createdAt: iso(coupon.createdAt),
    updatedAt: iso(coupon.updatedAt),
  };
}

export function presentSubscription(subscription: Subscription, couponCode?: string | null) {
  return {
    id: subscription.id,
    userId: subscription.userId,
    planId: subscription.planId,
    couponId: subscription.couponId,
    ...(couponCode !== undefined ? { couponCode } : {}),
    status: subscription.status,
    priceCents: subscription.priceCents,
    discountCents: subscription.discountCents,
    amountCents: subscription.amountCents,
    currency: subscription.currency,
    startsAt: isoOrNull(subscription.startsAt),
    endsAt: isoOrNull(subscription.endsAt),
    activatedBy: subscription.activatedBy,
    createdAt: iso(subscription.createdAt),
    updatedAt: iso(subscription.updatedAt),
  };
}

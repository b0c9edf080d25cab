import { and, eq } from "drizzle-orm";
import type { Database } from "../../db";
import { couponRedemptions, coupons, plans, type Coupon, type Plan } from "../../db/schema";

export async function findCouponByCode(db: Database, code: string): Promise<Coupon | undefined> {
  return db.query.coupons.findFirst({ where: eq(coupons.code, code.toUpperCase()) });
}

export async function findActivePlan(db: Database, planId: string): Promise<Plan | undefined> {
  return db.query.plans.findFirst({ where: and(eq(plans.id, planId), eq(plans.active, true)) });
}

export async function hasRedeemed(db: Database, couponId: string, userId: string): Promise<boolean> {
  const row = await db
    .select({ id: couponRedemptions.id })
    .from(couponRedemptions)
    .where(and(eq(couponRedemptions.couponId, couponId), eq(couponRedemptions.userId, userId)))
    .get();
  return row !== undefined;
}

/** D1 reports a broken unique index as an error whose message names the index's columns. */
export function isDuplicateRedemption(error: unknown): boolean {
  const text = `${String(error)} ${String((error as { cause?: unknown })?.cause ?? "")}`;
  return /UNIQUE constraint failed: coupon_redemptions\.coupon_id/.test(text);
}

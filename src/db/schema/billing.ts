import { sql } from "drizzle-orm";
import { check, index, integer, sqliteTable, text, uniqueIndex } from "drizzle-orm/sqlite-core";
import { users } from "./users";

export const plans = sqliteTable("plans", {
  id: text("id").primaryKey(), // pln_
  name: text("name").notNull(),
  description: text("description"),
  priceCents: integer("price_cents").notNull(),
  currency: text("currency").notNull().default("USD"),
  intervalMonths: integer("interval_months").notNull(),
  features: text("features", { mode: "json" }).$type<string[]>().notNull().default([]),
  /** AI tokens a subscriber may use per calendar month (UTC); null: no limit. */
  aiMonthlyTokens: integer("ai_monthly_tokens"),
  /** Plans are deactivated, never deleted: subscriptions reference them. */
  active: integer("active", { mode: "boolean" }).notNull().default(true),
  createdAt: integer("created_at").notNull(),
  updatedAt: integer("updated_at").notNull(),
});

export type Plan = typeof plans.$inferSelect;
export type NewPlan = typeof plans.$inferInsert;

export const COUPON_KINDS = ["PERCENT", "FIXED"] as const;
export type CouponKind = (typeof COUPON_KINDS)[number];

export const coupons = sqliteTable(
  "coupons",
  {
    id: text("id").primaryKey(), // cpn_
    /** Stored upper-case. */
    code: text("code").notNull().unique(),
    kind: text("kind", { enum: COUPON_KINDS }).notNull(),
    /** PERCENT: 1–100; FIXED: cents off. */
    value: integer("value").notNull(),
    validFrom: integer("valid_from"),
    validUntil: integer("valid_until"),
    /** Null = unlimited. */
    maxRedemptions: integer("max_redemptions"),
    redemptionCount: integer("redemption_count").notNull().default(0),
    /** Plans the coupon applies to; null = every plan. */
    planIds: text("plan_ids", { mode: "json" }).$type<string[]>(),
    active: integer("active", { mode: "boolean" }).notNull().default(true),
    createdBy: text("created_by"),
    createdAt: integer("created_at").notNull(),
    updatedAt: integer("updated_at").notNull(),
  },
  (t) => [
    check("coupons_code_upper_check", sql`${t.code} = upper(${t.code})`),
    check("coupons_value_check", sql`(${t.kind} = 'PERCENT' AND ${t.value} BETWEEN 1 AND 100) OR (${t.kind} = 'FIXED' AND ${t.value} > 0)`),
  ],
);

export type Coupon = typeof coupons.$inferSelect;
export type NewCoupon = typeof coupons.$inferInsert;

export const SUBSCRIPTION_STATUSES = ["PENDING", "ACTIVE", "CANCELLED", "EXPIRED"] as const;
export type SubscriptionStatus = (typeof SUBSCRIPTION_STATUSES)[number];

export const subscriptions = sqliteTable(
  "subscriptions",
  {
    id: text("id").primaryKey(), // sub_
    userId: text("user_id")
      .notNull()
      .references(() => users.id, { onDelete: "cascade" }),
    planId: text("plan_id")
      .notNull()
      .references(() => plans.id, { onDelete: "restrict" }),
    couponId: text("coupon_id").references(() => coupons.id, { onDelete: "set null" }),
    status: text("status", { enum: SUBSCRIPTION_STATUSES }).notNull().default("PENDING"),
    /** Price snapshot at purchase: amount = price - discount. */
    priceCents: integer("price_cents").notNull(),
    discountCents: integer("discount_cents").notNull().default(0),
    amountCents: integer("amount_cents").notNull(),
    currency: text("currency").notNull(),
    /** Set on activation. */
    startsAt: integer("starts_at"),
    endsAt: integer("ends_at"),
    /** Admin or payment process that activated it. */
    activatedBy: text("activated_by"),
    createdAt: integer("created_at").notNull(),
    updatedAt: integer("updated_at").notNull(),
  },
  (t) => [index("subscriptions_user_id_created_at_idx").on(t.userId, t.createdAt), index("subscriptions_status_idx").on(t.status)],
);

export type Subscription = typeof subscriptions.$inferSelect;
export type NewSubscription = typeof subscriptions.$inferInsert;

export const couponRedemptions = sqliteTable(
  "coupon_redemptions",
  {
    id: text("id").primaryKey(), // red_
    couponId: text("coupon_id")
      .notNull()
      .references(() => coupons.id, { onDelete: "cascade" }),
    userId: text("user_id")
      .notNull()
      .references(() => users.id, { onDelete: "cascade" }),
    subscriptionId: text("subscription_id").references(() => subscriptions.id, { onDelete: "set null" }),
    createdAt: integer("created_at").notNull(),
  },
  (t) => [
    /** One redemption per user per coupon. */
    uniqueIndex("coupon_redemptions_coupon_id_user_id_idx").on(t.couponId, t.userId),
    index("coupon_redemptions_user_id_idx").on(t.userId),
    index("coupon_redemptions_subscription_id_idx").on(t.subscriptionId),
  ],
);

export type CouponRedemption = typeof couponRedemptions.$inferSelect;
export type NewCouponRedemption = typeof couponRedemptions.$inferInsert;

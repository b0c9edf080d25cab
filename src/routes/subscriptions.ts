import { and, desc, eq, isNull, lt, or, sql, type SQL } from "drizzle-orm";
import { Hono, type Context } from "hono";
import { auditEntry } from "../lib/audit/writer";
import { findActivePlan, findCouponByCode, hasRedeemed, isDuplicateRedemption } from "../lib/billing/coupons";
import { addMonths, judgeCoupon, presentSubscription, refusal, type CouponVerdict } from "../lib/billing/pricing";
import { clock, iso } from "../lib/clock";
import { ApiError } from "../lib/errors";
import { eventStatements } from "../lib/events/emit";
import { caller, canManage, isAdmin } from "../lib/exam/access";
import { changesOf } from "../lib/exam/attempts";
import { guardedInsert } from "../lib/guarded-insert";
import { newId } from "../lib/ids";
import { paymentFailureInput, subscriptionInput, subscriptionListQuery } from "../lib/validation/billing";
import { decodeCursor, idCursor, toPage } from "../lib/validation/pagination";
import { validate } from "../lib/validation/validate";
import { requireRole, requireScope } from "../middleware/auth";
import { rateLimit } from "../middleware/rate-limit";
import { auditLogs, couponRedemptions, coupons, plans, subscriptions, type Subscription } from "../db/schema";
import type { AppEnv } from "../env";
import { operationsOf } from "../openapi/describe";
import { subscriptionSchema } from "../openapi/schemas/billing";
import { page } from "../openapi/schemas/primitives";
import { requireVerifiedEmail } from "../middleware/verified-email";

function couponProblem(verdict: Extract<CouponVerdict, { valid: false }>): ApiError {
  return new ApiError(
    verdict.reason === "already_redeemed" || verdict.reason === "exhausted" ? "conflict" : "unprocessable",
    verdict.message,
    {
      extensions: { reason: verdict.reason },
    },
  );
}

const describe = operationsOf("Billing");

/** A subscription the caller may see: their own, or any for an admin; otherwise 404. */
async function findVisibleSubscription(c: Context<AppEnv>, id: string): Promise<Subscription> {
  const subscription = await c.var.db.query.subscriptions.findFirst({ where: eq(subscriptions.id, id) });
  if (!subscription || !canManage(caller(c), subscription.userId)) throw ApiError.notFound("subscription");
  return subscription;
}

/** "This subscription is still in `status`" — the guard every status change and its audit rows share. */
const stillIn = (id: string, status: Subscription["status"]) =>
  sql`exists (select 1 from ${subscriptions} where ${and(eq(subscriptions.id, id), eq(subscriptions.status, status))})`;

export const subscriptionRoutes = new Hono<AppEnv>()
  .use("*", rateLimit({ policy: "api" }))
  .post(
    "/",
    describe({
      summary: "Subscribe to a plan, optionally with a coupon",
      responses: { 201: ["The subscription, PENDING until activated", subscriptionSchema] },
      errors: ["not_found", "conflict", "unprocessable", "email_not_verified"],
    }),
    requireScope("billing:write"),
    requireVerifiedEmail("subscriptions"),
    validate("json", subscriptionInput),
    async (c) => {
      const auth = caller(c);
      const input = c.req.valid("json");
      const db = c.var.db;
      const plan = await findActivePlan(db, input.planId);
      if (!plan) throw ApiError.notFound("plan");
      const now = clock.now();
      const coupon = input.couponCode ? await findCouponByCode(db, input.couponCode) : undefined;
      let verdict: CouponVerdict = {
        valid: true,
        priceCents: plan.priceCents,
        discountCents: 0,
        amountCents: plan.priceCents,
        currency: plan.currency,
      };
      if (input.couponCode) {
        verdict = judgeCoupon(coupon, plan, now, coupon ? await hasRedeemed(db, coupon.id, auth.userId) : false);
        if (!verdict.valid) throw couponProblem(verdict);
      }
      const subscription: Subscription = {
        id: newId("subscription", now),
        userId: auth.userId,
        planId: plan.id,
        couponId: coupon?.id ?? null,
        status: "PENDING",
        priceCents: verdict.priceCents,
        discountCents: verdict.discountCents,
        amountCents: verdict.amountCents,
        currency: verdict.currency,
        startsAt: null,
        endsAt: null,
        activatedBy: null,
        createdAt: now,
        updatedAt: now,
      };
      const audit = auditEntry(c, {
        action: "subscription.created",
        target: { type: "subscription", id: subscription.id },
        after: {
          planId: plan.id,
          couponCode: coupon?.code ?? null,
          priceCents: subscription.priceCents,
          discountCents: subscription.discountCents,
          amountCents: subscription.amountCents,
          currency: subscription.currency,
        },
      });

      if (!coupon) {
        await db.batch([db.insert(subscriptions).values(subscription), db.insert(auditLogs).values(audit)]);
        return c.json(presentSubscription(subscription, null), 201, { Location: `/v1/subscriptions/${subscription.id}` });
      }

      // The redemption cap is enforced by one conditional UPDATE; the rows it pays for are inserted just
      // before it under the same condition, inside one transaction, so they exist exactly when it counts.
      const redeemable = and(
        eq(coupons.id, coupon.id),
        eq(coupons.active, true),
        or(isNull(coupons.maxRedemptions), lt(coupons.redemptionCount, coupons.maxRedemptions)),
      ) as SQL;
      const whileRedeemable = sql`exists (select 1 from ${coupons} where ${redeemable})`;
      const redeemed = eventStatements(
        db,
        auth.userId,
        {
          type: "coupon.redeemed",
          aggregateId: coupon.id,
          data: {
            couponId: coupon.id,
            code: coupon.code,
            userId: auth.userId,
            subscriptionId: subscription.id,
            discountCents: subscription.discountCents,
          },
          when: whileRedeemable,
        },
        now,
      );
      let results: unknown[];
      try {
        results = await db.batch([
          guardedInsert(db, subscriptions, subscription, whileRedeemable),
          guardedInsert(
            db,
            couponRedemptions,
            { id: newId("redemption", now), couponId: coupon.id, userId: auth.userId, subscriptionId: subscription.id, createdAt: now },
            whileRedeemable,
          ),
          guardedInsert(db, auditLogs, audit, whileRedeemable),
          ...redeemed.statements,
          db
            .update(coupons)
            .set({ redemptionCount: sql`${coupons.redemptionCount} + 1`, updatedAt: now })
            .where(redeemable),
        ]);
      } catch (error) {
        // The unique (coupon, user) index: this user's other request redeemed it a moment ago.
        if (isDuplicateRedemption(error)) throw couponProblem(refusal("already_redeemed") as Extract<CouponVerdict, { valid: false }>);
        throw error;
      }
      if (changesOf(results.at(-1)) !== 1) {
        const current = await findCouponByCode(db, coupon.code);
        const again = judgeCoupon(current, plan, now, false);
        throw couponProblem((again.valid ? refusal("exhausted") : again) as Extract<CouponVerdict, { valid: false }>);
      }
      c.executionCtx.waitUntil(redeemed.send(c.env));
      return c.json(presentSubscription(subscription, coupon.code), 201, { Location: `/v1/subscriptions/${subscription.id}` });
    },
  )
  .get(
    "/",
    describe({
      summary: "List subscriptions (yours; admins all)",
      responses: { 200: ["A page of subscriptions, newest first", page(subscriptionSchema)] },
    }),
    requireScope("billing:read"),
    validate("query", subscriptionListQuery),
    async (c) => {
      const auth = caller(c);
      const query = c.req.valid("query");
      const filters: (SQL | undefined)[] = [];
      if (!isAdmin(auth)) filters.push(eq(subscriptions.userId, auth.userId));
      else if (query.userId) filters.push(eq(subscriptions.userId, query.userId));
      if (query.status) filters.push(eq(subscriptions.status, query.status));
      if (query.cursor) filters.push(lt(subscriptions.id, decodeCursor(query.cursor, idCursor).id));
      const rows = await c.var.db
        .select()
        .from(subscriptions)
        .where(and(...filters))
        .orderBy(desc(subscriptions.id))
        .limit(query.limit + 1);
      return c.json(
        toPage(
          rows,
          query.limit,
          (row) => ({ id: row.id }),
          (row) => presentSubscription(row),
        ),
      );
    },
  )
  .get(
    "/:id",
    describe({ summary: "Read a subscription", responses: { 200: ["The subscription", subscriptionSchema] }, errors: ["not_found"] }),
    requireScope("billing:read"),
    async (c) => {
      return c.json(presentSubscription(await findVisibleSubscription(c, c.req.param("id"))));
    },
  )
  .post(
    "/:id/activate",
    describe({
      summary: "Activate a pending subscription (admins)",
      responses: { 200: ["The active subscription", subscriptionSchema] },
      errors: ["not_found", "conflict"],
    }),
    requireScope("admin:write"),
    requireRole("admin"),
    async (c) => {
      const db = c.var.db;
      const existing = await db.query.subscriptions.findFirst({ where: eq(subscriptions.id, c.req.param("id")) });
      if (!existing) throw ApiError.notFound("subscription");
      if (existing.status !== "PENDING")
        throw new ApiError("conflict", `Only a PENDING subscription can be activated; this one is ${existing.status}.`);
      const plan = (await db.query.plans.findFirst({ where: eq(plans.id, existing.planId) }))!;
      const now = clock.now();
      const auth = caller(c);
      const activated = {
        status: "ACTIVE" as const,
        startsAt: now,
        endsAt: addMonths(now, plan.intervalMonths),
        activatedBy: auth.userId,
        updatedAt: now,
      };
      const target = { type: "subscription", id: existing.id };
      const payment = { amountCents: existing.amountCents, currency: existing.currency, method: "manual", userId: existing.userId };
      const subscriptionActivated = eventStatements(
        db,
        auth.userId,
        {
          type: "subscription.activated",
          aggregateId: existing.id,
          data: {
            subscriptionId: existing.id,
            userId: existing.userId,
            planId: existing.planId,
            startsAt: iso(now),
            endsAt: iso(activated.endsAt),
          },
          when: stillIn(existing.id, "PENDING"),
        },
        now,
      );
      const paymentSucceeded = eventStatements(
        db,
        auth.userId,
        {
          type: "payment.succeeded",
          aggregateId: existing.id,
          data: { subscriptionId: existing.id, ...payment },
          when: stillIn(existing.id, "PENDING"),
        },
        now,
      );
      const results = await db.batch([
        guardedInsert(
          db,
          auditLogs,
          auditEntry(c, {
            action: "subscription.activated",
            target,
            before: { status: existing.status },
            after: { status: "ACTIVE", startsAt: now, endsAt: activated.endsAt },
          }),
          stillIn(existing.id, "PENDING"),
        ),
        guardedInsert(
          db,
          auditLogs,
          auditEntry(c, { action: "payment.succeeded", target, metadata: payment }),
          stillIn(existing.id, "PENDING"),
        ),
        ...subscriptionActivated.statements,
        ...paymentSucceeded.statements,
        db
          .update(subscriptions)
          .set(activated)
          .where(and(eq(subscriptions.id, existing.id), eq(subscriptions.status, "PENDING"))),
      ]);
      if (changesOf(results.at(-1)) !== 1) throw new ApiError("conflict", "The subscription changed meanwhile; reload it.");
      c.executionCtx.waitUntil(Promise.all([subscriptionActivated.send(c.env), paymentSucceeded.send(c.env)]));
      return c.json(presentSubscription({ ...existing, ...activated }));
    },
  )
  .post(
    "/:id/payment-failures",
    describe({
      summary: "Record a declined payment for a pending subscription (admins)",
      description: "The subscription stays PENDING; a `payment.failed` event tells the subscriber (and mails them).",
      responses: { 202: ["Recorded", subscriptionSchema] },
      errors: ["not_found", "conflict"],
    }),
    requireScope("admin:write"),
    requireRole("admin"),
    validate("json", paymentFailureInput),
    async (c) => {
      const db = c.var.db;
      const { reason } = c.req.valid("json");
      const existing = await db.query.subscriptions.findFirst({ where: eq(subscriptions.id, c.req.param("id")) });
      if (!existing) throw ApiError.notFound("subscription");
      if (existing.status !== "PENDING")
        throw new ApiError("conflict", `Only a PENDING subscription awaits payment; this one is ${existing.status}.`);
      const auth = caller(c);
      const failure = { userId: existing.userId, amountCents: existing.amountCents, currency: existing.currency, reason };
      const paymentFailed = eventStatements(db, auth.userId, {
        type: "payment.failed",
        aggregateId: existing.id,
        data: { subscriptionId: existing.id, ...failure },
        when: stillIn(existing.id, "PENDING"),
      });
      const [audit] = await db.batch([
        guardedInsert(
          db,
          auditLogs,
          auditEntry(c, { action: "payment.failed", target: { type: "subscription", id: existing.id }, metadata: failure }),
          stillIn(existing.id, "PENDING"),
        ),
        ...paymentFailed.statements,
      ]);
      if (changesOf(audit) !== 1) throw new ApiError("conflict", "The subscription changed meanwhile; reload it.");
      c.executionCtx.waitUntil(paymentFailed.send(c.env));
      return c.json(presentSubscription(existing), 202);
    },
  )
  .post(
    "/:id/cancel",
    describe({
      summary: "Cancel a subscription",
      responses: { 200: ["The cancelled subscription", subscriptionSchema] },
      errors: ["not_found", "conflict"],
    }),
    requireScope("billing:write"),
    async (c) => {
      const existing = await findVisibleSubscription(c, c.req.param("id"));
      if (existing.status !== "PENDING" && existing.status !== "ACTIVE") {
        throw new ApiError("conflict", `A ${existing.status} subscription cannot be cancelled.`);
      }
      const db = c.var.db;
      const now = clock.now();
      const guard = stillIn(existing.id, existing.status);
      // A pending subscription was never paid for: its coupon use is given back.
      const releaseCoupon =
        existing.status === "PENDING" && existing.couponId
          ? [
              db
                .update(coupons)
                .set({ redemptionCount: sql`max(${coupons.redemptionCount} - 1, 0)`, updatedAt: now })
                .where(and(eq(coupons.id, existing.couponId), guard)),
              db.delete(couponRedemptions).where(and(eq(couponRedemptions.subscriptionId, existing.id), guard)),
            ]
          : [];
      const cancelled = eventStatements(
        db,
        caller(c).userId,
        {
          type: "subscription.cancelled",
          aggregateId: existing.id,
          data: {
            subscriptionId: existing.id,
            userId: existing.userId,
            planId: existing.planId,
            previousStatus: existing.status,
            couponReleased: releaseCoupon.length > 0,
          },
          when: guard,
        },
        now,
      );
      const results = await db.batch([
        ...cancelled.statements,
        guardedInsert(
          db,
          auditLogs,
          auditEntry(c, {
            action: "subscription.cancelled",
            target: { type: "subscription", id: existing.id },
            before: { status: existing.status },
            after: { status: "CANCELLED" },
            metadata: { couponReleased: releaseCoupon.length > 0 },
          }),
          guard,
        ),
        ...releaseCoupon,
        db
          .update(subscriptions)
          .set({ status: "CANCELLED", endsAt: existing.status === "ACTIVE" ? now : existing.endsAt, updatedAt: now })
          .where(and(eq(subscriptions.id, existing.id), eq(subscriptions.status, existing.status))),
      ]);
      if (changesOf(results.at(-1)) !== 1) throw new ApiError("conflict", "The subscription changed meanwhile; reload it.");
      c.executionCtx.waitUntil(cancelled.send(c.env));
      const fresh = (await db.query.subscriptions.findFirst({ where: eq(subscriptions.id, existing.id) }))!;
      return c.json(presentSubscription(fresh));
    },
  );

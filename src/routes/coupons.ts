import { desc, eq, lt } from "drizzle-orm";
import { Hono } from "hono";
import { auditInsert } from "../lib/audit/writer";
import { findActivePlan, findCouponByCode, hasRedeemed } from "../lib/billing/coupons";
import { judgeCoupon, presentCoupon } from "../lib/billing/pricing";
import { clock } from "../lib/clock";
import { ApiError } from "../lib/errors";
import { caller } from "../lib/exam/access";
import { newId } from "../lib/ids";
import { couponInput, couponPatch, couponValidateInput } from "../lib/validation/billing";
import { decodeCursor, idCursor, paginationQuery, toPage } from "../lib/validation/pagination";
import { validate } from "../lib/validation/validate";
import { requireRole, requireScope } from "../middleware/auth";
import { rateLimit } from "../middleware/rate-limit";
import { coupons, type Coupon } from "../db/schema";
import type { AppEnv } from "../env";
import { operationsOf } from "../openapi/describe";
import { couponSchema, couponVerdictSchema } from "../openapi/schemas/billing";
import { page } from "../openapi/schemas/primitives";

const adminOnly = [requireScope("admin:write"), requireRole("admin")] as const;
const adminRead = [requireScope("admin:read"), requireRole("admin")] as const;

const describe = operationsOf("Billing");

export const couponRoutes = new Hono<AppEnv>()
  .use("*", rateLimit({ policy: "api" }))
  .post(
    "/validate",
    describe({
      summary: "Check a coupon against a plan",
      responses: { 200: ["Whether it applies, and the price it gives", couponVerdictSchema] },
      errors: ["not_found"],
    }),
    requireScope("billing:write"),
    validate("json", couponValidateInput),
    async (c) => {
      const { code, planId } = c.req.valid("json");
      const db = c.var.db;
      const plan = await findActivePlan(db, planId);
      if (!plan) throw ApiError.notFound("plan");
      const coupon = await findCouponByCode(db, code);
      const redeemed = coupon ? await hasRedeemed(db, coupon.id, caller(c).userId) : false;
      return c.json({ code, planId, ...judgeCoupon(coupon, plan, clock.now(), redeemed) });
    },
  )
  .post(
    "/",
    describe({ summary: "Create a coupon (admins)", responses: { 201: ["The coupon", couponSchema] }, errors: ["conflict"] }),
    ...adminOnly,
    validate("json", couponInput),
    async (c) => {
      const input = c.req.valid("json");
      const db = c.var.db;
      if (await findCouponByCode(db, input.code)) throw new ApiError("conflict", `A coupon with code ${input.code} already exists.`);
      if (input.planIds) {
        for (const [i, planId] of input.planIds.entries()) {
          if (!(await db.query.plans.findFirst({ where: (p, { eq: is }) => is(p.id, planId) }))) {
            throw ApiError.validation([{ path: `planIds.${i}`, message: "No such plan" }]);
          }
        }
      }
      const now = clock.now();
      const coupon: Coupon = {
        id: newId("coupon", now),
        code: input.code,
        kind: input.kind === "percent" ? "PERCENT" : "FIXED",
        value: input.value,
        validFrom: input.validFrom ? Date.parse(input.validFrom) : null,
        validUntil: input.validUntil ? Date.parse(input.validUntil) : null,
        maxRedemptions: input.maxRedemptions ?? null,
        redemptionCount: 0,
        planIds: input.planIds ?? null,
        active: input.active,
        createdBy: caller(c).userId,
        createdAt: now,
        updatedAt: now,
      };
      try {
        await db.batch([
          db.insert(coupons).values(coupon),
          auditInsert(c, { action: "coupon.created", target: { type: "coupon", id: coupon.id }, after: presentCoupon(coupon) }),
        ]);
      } catch (error) {
        // Two admins creating the same code at once: the unique index decides.
        if (/UNIQUE constraint failed: coupons\.code/.test(`${String(error)} ${String((error as Error).cause ?? "")}`)) {
          throw new ApiError("conflict", `A coupon with code ${input.code} already exists.`);
        }
        throw error;
      }
      return c.json(presentCoupon(coupon), 201, { Location: `/v1/coupons/${coupon.id}` });
    },
  )
  .get(
    "/",
    describe({ summary: "List coupons (admins)", responses: { 200: ["A page of coupons, newest first", page(couponSchema)] } }),
    ...adminRead,
    validate("query", paginationQuery),
    async (c) => {
      const { limit, cursor } = c.req.valid("query");
      const rows = await c.var.db
        .select()
        .from(coupons)
        .where(cursor ? lt(coupons.id, decodeCursor(cursor, idCursor).id) : undefined)
        .orderBy(desc(coupons.id))
        .limit(limit + 1);
      return c.json(toPage(rows, limit, (row) => ({ id: row.id }), presentCoupon));
    },
  )
  .get(
    "/:id",
    describe({ summary: "Read a coupon (admins)", responses: { 200: ["The coupon", couponSchema] }, errors: ["not_found"] }),
    ...adminRead,
    async (c) => {
      const coupon = await c.var.db.query.coupons.findFirst({ where: eq(coupons.id, c.req.param("id")) });
      if (!coupon) throw ApiError.notFound("coupon");
      return c.json(presentCoupon(coupon));
    },
  )
  .patch(
    "/:id",
    describe({ summary: "Edit a coupon (admins)", responses: { 200: ["The coupon", couponSchema] }, errors: ["not_found", "conflict"] }),
    ...adminOnly,
    validate("json", couponPatch),
    async (c) => {
      const db = c.var.db;
      const existing = await db.query.coupons.findFirst({ where: eq(coupons.id, c.req.param("id")) });
      if (!existing) throw ApiError.notFound("coupon");
      const patch = c.req.valid("json");
      if (patch.maxRedemptions != null && patch.maxRedemptions < existing.redemptionCount) {
        throw new ApiError("conflict", `The coupon was already redeemed ${existing.redemptionCount} times; the cap cannot go below that.`);
      }
      const updated: Coupon = {
        ...existing,
        ...(patch.active !== undefined ? { active: patch.active } : {}),
        ...(patch.validUntil !== undefined ? { validUntil: patch.validUntil === null ? null : Date.parse(patch.validUntil) } : {}),
        ...(patch.maxRedemptions !== undefined ? { maxRedemptions: patch.maxRedemptions } : {}),
        updatedAt: clock.now(),
      };
      await db.batch([
        db
          .update(coupons)
          .set({
            active: updated.active,
            validUntil: updated.validUntil,
            maxRedemptions: updated.maxRedemptions,
            updatedAt: updated.updatedAt,
          })
          .where(eq(coupons.id, existing.id)),
        auditInsert(c, {
          action: "coupon.updated",
          target: { type: "coupon", id: existing.id },
          before: presentCoupon(existing),
          after: presentCoupon(updated),
        }),
      ]);
      const fresh = (await db.query.coupons.findFirst({ where: eq(coupons.id, existing.id) }))!;
      return c.json(presentCoupon(fresh));
    },
  );

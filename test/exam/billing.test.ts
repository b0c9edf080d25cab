import { env } from "cloudflare:workers";
import { beforeAll, describe, expect, it } from "vitest";
import { clock } from "../../src/lib/clock";
import { createUser, type TestUser } from "../helpers/auth";
import { call, problemOf, sendJson } from "../helpers/http";
import { get, json } from "./fixtures";

let admin: TestUser;
let student: TestUser;
let otherStudent: TestUser;
let instructor: TestUser;

beforeAll(async () => {
  [admin, student, otherStudent, instructor] = await Promise.all([
    createUser({ role: "admin" }),
    createUser(),
    createUser(),
    createUser({ role: "instructor" }),
  ]);
});

let codeCounter = 0;
const uniqueCode = (label = "SAVE") => `${label}${Date.now().toString(36).toUpperCase()}${++codeCounter}`;

async function createPlan(body: Record<string, unknown> = {}) {
  const res = await sendJson(
    "/v1/plans",
    "POST",
    { name: "Pro", priceCents: 10_000, currency: "INR", intervalMonths: 1, features: ["All tests"], ...body },
    admin.headers,
  );
  expect(res.status, await res.clone().text()).toBe(201);
  return json(res);
}

async function createCoupon(body: Record<string, unknown>) {
  const res = await sendJson("/v1/coupons", "POST", { code: uniqueCode(), kind: "percent", value: 20, ...body }, admin.headers);
  expect(res.status, await res.clone().text()).toBe(201);
  return json(res);
}

const subscribe = (headers: Record<string, string>, planId: string, couponCode?: string) =>
  sendJson("/v1/subscriptions", "POST", couponCode ? { planId, couponCode } : { planId }, headers);

describe("plans", () => {
  it("admins create and edit plans; anyone lists the active ones", async () => {
    const plan = await createPlan({ name: "Starter" });
    expect(plan).toMatchObject({ name: "Starter", priceCents: 10_000, currency: "INR", active: true });
    const list = await json(await call("/v1/plans"));
    expect(list.data.map((p: { id: string }) => p.id)).toContain(plan.id);
    const patched = await sendJson(`/v1/plans/${plan.id}`, "PATCH", { active: false, priceCents: 12_000 }, admin.headers);
    expect(await json(patched)).toMatchObject({ active: false, priceCents: 12_000 });
    expect((await json(await call("/v1/plans"))).data.map((p: { id: string }) => p.id)).not.toContain(plan.id);
    expect((await call(`/v1/plans/${plan.id}`)).status).toBe(404);
    expect((await get(`/v1/plans?includeInactive=true`, admin.headers)).status).toBe(200);
    const audit = await env.DB.prepare("SELECT action FROM audit_logs WHERE target_id = ? ORDER BY id").bind(plan.id).all();
    expect(audit.results.map((r) => r.action)).toEqual(["plan.created", "plan.updated"]);
  });

  it("refuses non-admins and bad bodies", async () => {
    expect((await sendJson("/v1/plans", "POST", { name: "X", priceCents: 1, intervalMonths: 1 }, instructor.headers)).status).toBe(403);
    expect((await sendJson("/v1/plans", "POST", { name: "X", priceCents: -1, intervalMonths: 1 }, admin.headers)).status).toBe(400);
    expect(
      (await sendJson("/v1/plans", "POST", { name: "X", priceCents: 1, intervalMonths: 1, currency: "usd" }, admin.headers)).status,
    ).toBe(400);
    expect(
      (await sendJson("/v1/plans", "POST", { name: "X", priceCents: 1, intervalMonths: 1, id: "pln_mine" }, admin.headers)).status,
    ).toBe(400);
  });
});

describe("coupons", () => {
  it("validates to the discounted price for percent and fixed coupons", async () => {
    const plan = await createPlan({ priceCents: 9_999 });
    const percent = await createCoupon({ kind: "percent", value: 25 });
    const fixed = await createCoupon({ kind: "fixed", value: 50_000 });
    const p = await json(
      await sendJson("/v1/coupons/validate", "POST", { code: percent.code.toLowerCase(), planId: plan.id }, student.headers),
    );
    expect(p).toMatchObject({ valid: true, priceCents: 9_999, discountCents: 2_500, amountCents: 7_499, currency: "INR" });
    const f = await json(await sendJson("/v1/coupons/validate", "POST", { code: fixed.code, planId: plan.id }, student.headers));
    expect(f).toMatchObject({ valid: true, discountCents: 9_999, amountCents: 0 });
  });

  it("gives a clear reason when a coupon cannot be used", async () => {
    const plan = await createPlan();
    const otherPlan = await createPlan();
    const now = Date.now();
    const cases: [Record<string, unknown>, string][] = [
      [{ active: false }, "inactive"],
      [{ validFrom: new Date(now + 3600_000).toISOString() }, "not_yet_valid"],
      [{ validFrom: new Date(now - 7200_000).toISOString(), validUntil: new Date(now - 3600_000).toISOString() }, "expired"],
      [{ planIds: [otherPlan.id] }, "not_applicable"],
    ];
    for (const [body, reason] of cases) {
      const coupon = await createCoupon(body);
      const res = await json(await sendJson("/v1/coupons/validate", "POST", { code: coupon.code, planId: plan.id }, student.headers));
      expect(res, reason).toMatchObject({ valid: false, reason });
      expect(res.message).toBeTruthy();
      const sub = await subscribe(student.headers, plan.id, coupon.code);
      expect((await problemOf(sub)).reason).toBe(reason);
    }
    const unknown = await json(await sendJson("/v1/coupons/validate", "POST", { code: "NOPE-NOT-REAL", planId: plan.id }, student.headers));
    expect(unknown).toMatchObject({ valid: false, reason: "unknown_code" });
    const capped = await createCoupon({ maxRedemptions: 1 });
    expect((await subscribe(otherStudent.headers, plan.id, capped.code)).status).toBe(201);
    expect(
      await json(await sendJson("/v1/coupons/validate", "POST", { code: capped.code, planId: plan.id }, student.headers)),
    ).toMatchObject({ reason: "exhausted" });
    expect(
      await json(await sendJson("/v1/coupons/validate", "POST", { code: capped.code, planId: plan.id }, otherStudent.headers)),
    ).toMatchObject({ reason: "already_redeemed" });
  });

  it("honours the validity window as the clock moves", async () => {
    const plan = await createPlan();
    const coupon = await createCoupon({ validUntil: new Date(Date.now() + 60_000).toISOString() });
    expect(
      (await json(await sendJson("/v1/coupons/validate", "POST", { code: coupon.code, planId: plan.id }, student.headers))).valid,
    ).toBe(true);
    clock.advance(61_000);
    expect(
      await json(await sendJson("/v1/coupons/validate", "POST", { code: coupon.code, planId: plan.id }, student.headers)),
    ).toMatchObject({ reason: "expired" });
  });

  it("refuses duplicate codes, bad values and non-admin creators", async () => {
    const coupon = await createCoupon({});
    expect(
      (await sendJson("/v1/coupons", "POST", { code: coupon.code.toLowerCase(), kind: "fixed", value: 1 }, admin.headers)).status,
    ).toBe(409);
    expect((await sendJson("/v1/coupons", "POST", { code: uniqueCode(), kind: "percent", value: 101 }, admin.headers)).status).toBe(400);
    expect((await sendJson("/v1/coupons", "POST", { code: "a b", kind: "percent", value: 10 }, admin.headers)).status).toBe(400);
    const now = Date.now();
    const window = { validFrom: new Date(now).toISOString(), validUntil: new Date(now - 1).toISOString() };
    expect(
      (await sendJson("/v1/coupons", "POST", { code: uniqueCode(), kind: "percent", value: 10, ...window }, admin.headers)).status,
    ).toBe(400);
    expect((await sendJson("/v1/coupons", "POST", { code: uniqueCode(), kind: "percent", value: 10 }, student.headers)).status).toBe(403);
    expect((await get("/v1/coupons", student.headers)).status).toBe(403);
  });

  it("lets admins pause a coupon or change its cap, never below its redemptions", async () => {
    const plan = await createPlan();
    const coupon = await createCoupon({ maxRedemptions: 5 });
    await subscribe(student.headers, plan.id, coupon.code);
    await subscribe(otherStudent.headers, plan.id, coupon.code);
    expect((await sendJson(`/v1/coupons/${coupon.id}`, "PATCH", { maxRedemptions: 1 }, admin.headers)).status).toBe(409);
    const paused = await json(await sendJson(`/v1/coupons/${coupon.id}`, "PATCH", { active: false, maxRedemptions: 2 }, admin.headers));
    expect(paused).toMatchObject({ active: false, maxRedemptions: 2, redemptionCount: 2 });
  });
});

describe("coupon limits under concurrency", () => {
  it("never exceeds max redemptions when many users redeem at once", async () => {
    const plan = await createPlan();
    const coupon = await createCoupon({ maxRedemptions: 3 });
    const buyers = await Promise.all(Array.from({ length: 12 }, () => createUser()));
    const results = await Promise.all(buyers.map((buyer) => subscribe(buyer.headers, plan.id, coupon.code)));
    const statuses = results.map((r) => r.status);
    expect(statuses.filter((s) => s === 201)).toHaveLength(3);
    expect(statuses.filter((s) => s === 409)).toHaveLength(9);
    for (const res of results.filter((r) => r.status === 409)) expect((await problemOf(res)).reason).toBe("exhausted");
    const row = await env.DB.prepare("SELECT redemption_count FROM coupons WHERE id = ?")
      .bind(coupon.id)
      .first<{ redemption_count: number }>();
    expect(row!.redemption_count).toBe(3);
    const counts = await env.DB.prepare(
      "SELECT (SELECT count(*) FROM coupon_redemptions WHERE coupon_id = ?1) AS redemptions, (SELECT count(*) FROM subscriptions WHERE coupon_id = ?1) AS subs, (SELECT count(*) FROM audit_logs WHERE action = 'subscription.created' AND json_extract(changes, '$.after.couponCode') = ?2) AS audits",
    )
      .bind(coupon.id, coupon.code)
      .first();
    expect(counts).toEqual({ redemptions: 3, subs: 3, audits: 3 });
  });

  it("lets one user redeem a coupon once even when their requests race", async () => {
    const plan = await createPlan();
    const coupon = await createCoupon({});
    const buyer = await createUser();
    const results = await Promise.all(Array.from({ length: 6 }, () => subscribe(buyer.headers, plan.id, coupon.code)));
    expect(results.filter((r) => r.status === 201)).toHaveLength(1);
    for (const res of results.filter((r) => r.status !== 201)) {
      expect(res.status).toBe(409);
      expect((await problemOf(res)).reason).toBe("already_redeemed");
    }
    const row = await env.DB.prepare("SELECT redemption_count FROM coupons WHERE id = ?")
      .bind(coupon.id)
      .first<{ redemption_count: number }>();
    expect(row!.redemption_count).toBe(1);
  });
});

describe("subscriptions", () => {
  it("creates a pending subscription with the coupon applied, then an admin activates it", async () => {
    const plan = await createPlan({ priceCents: 20_000, intervalMonths: 3 });
    const coupon = await createCoupon({ kind: "fixed", value: 5_000 });
    const res = await subscribe(student.headers, plan.id, coupon.code);
    expect(res.status).toBe(201);
    const sub = await json(res);
    expect(sub).toMatchObject({
      status: "PENDING",
      userId: student.user.id,
      priceCents: 20_000,
      discountCents: 5_000,
      amountCents: 15_000,
      couponCode: coupon.code,
      startsAt: null,
    });

    expect((await call(`/v1/subscriptions/${sub.id}/activate`, { method: "POST", headers: student.headers })).status).toBe(403);
    const activated = await json(await call(`/v1/subscriptions/${sub.id}/activate`, { method: "POST", headers: admin.headers }));
    expect(activated).toMatchObject({ status: "ACTIVE", activatedBy: admin.user.id });
    const months = new Date(activated.endsAt).getUTCMonth() - new Date(activated.startsAt).getUTCMonth();
    expect((months + 12) % 12).toBe(3);
    expect((await call(`/v1/subscriptions/${sub.id}/activate`, { method: "POST", headers: admin.headers })).status).toBe(409);

    const audit = await env.DB.prepare("SELECT action, actor_id FROM audit_logs WHERE target_id = ? ORDER BY action").bind(sub.id).all();
    expect(audit.results).toEqual([
      { action: "payment.succeeded", actor_id: admin.user.id },
      { action: "subscription.activated", actor_id: admin.user.id },
      { action: "subscription.created", actor_id: student.user.id },
    ]);
  });

  it("activates once when admins race", async () => {
    const plan = await createPlan();
    const sub = await json(await subscribe(student.headers, plan.id));
    const results = await Promise.all(
      Array.from({ length: 5 }, () => call(`/v1/subscriptions/${sub.id}/activate`, { method: "POST", headers: admin.headers })),
    );
    expect(results.filter((r) => r.status === 200)).toHaveLength(1);
    const { n } = (await env.DB.prepare("SELECT count(*) AS n FROM audit_logs WHERE target_id = ? AND action = 'payment.succeeded'")
      .bind(sub.id)
      .first<{ n: number }>())!;
    expect(n).toBe(1);
  });

  it("cancelling a pending subscription gives the coupon use back", async () => {
    const plan = await createPlan();
    const coupon = await createCoupon({ maxRedemptions: 1 });
    const buyer = await createUser();
    const sub = await json(await subscribe(buyer.headers, plan.id, coupon.code));
    const cancelled = await call(`/v1/subscriptions/${sub.id}/cancel`, { method: "POST", headers: buyer.headers });
    expect(await json(cancelled)).toMatchObject({ status: "CANCELLED" });
    const row = await env.DB.prepare("SELECT redemption_count FROM coupons WHERE id = ?")
      .bind(coupon.id)
      .first<{ redemption_count: number }>();
    expect(row!.redemption_count).toBe(0);
    expect((await subscribe(buyer.headers, plan.id, coupon.code)).status).toBe(201);
    expect((await call(`/v1/subscriptions/${sub.id}/cancel`, { method: "POST", headers: buyer.headers })).status).toBe(409);
  });

  it("keeps subscriptions private between users", async () => {
    const plan = await createPlan();
    const mine = await json(await subscribe(student.headers, plan.id));
    expect((await get(`/v1/subscriptions/${mine.id}`, otherStudent.headers)).status).toBe(404);
    expect((await call(`/v1/subscriptions/${mine.id}/cancel`, { method: "POST", headers: otherStudent.headers })).status).toBe(404);
    const theirs = (await json(await get("/v1/subscriptions?limit=100", otherStudent.headers))).data.map((s: { id: string }) => s.id);
    expect(theirs).not.toContain(mine.id);
    expect((await get(`/v1/subscriptions/${mine.id}`, admin.headers)).status).toBe(200);
    const byAdmin = (await json(await get(`/v1/subscriptions?userId=${student.user.id}&limit=100`, admin.headers))).data.map(
      (s: { id: string }) => s.id,
    );
    expect(byAdmin).toContain(mine.id);
  });

  it("refuses unknown or inactive plans and extra fields", async () => {
    expect((await subscribe(student.headers, "pln_01JD0000000000000000000000")).status).toBe(404);
    const inactive = await createPlan({ active: false });
    expect((await subscribe(student.headers, inactive.id)).status).toBe(404);
    const plan = await createPlan();
    expect((await sendJson("/v1/subscriptions", "POST", { planId: plan.id, amountCents: 0 }, student.headers)).status).toBe(400);
    expect((await sendJson("/v1/subscriptions", "POST", { planId: plan.id, status: "ACTIVE" }, student.headers)).status).toBe(400);
  });
});

import { beforeAll, describe, it } from "vitest";
import { expectDocumented } from "../helpers/contract";
import { call, sendJson } from "../helpers/http";
import { createCast, type Cast } from "../exam/fixtures";
import { receiverUrl } from "../webhooks/helpers";

// Billing, planner, webhooks and the admin surface, answered for real and checked against docs/openapi.json.

let cast: Cast;
beforeAll(async () => {
  cast = await createCast();
});

/** Lists whose entries are also read one by one at `<list>/{id}`. */
const WITH_DETAIL = new Set([
  "/v1/admin/audit-logs",
  "/v1/admin/errors",
  "/v1/admin/jobs",
  "/v1/admin/events",
  "/v1/admin/security-events",
]);

const get = (path: string, headers: Record<string, string>) => call(path, { headers });

describe("answers match the documented schemas (billing, planner, webhooks, admin)", () => {
  it("billing: plans, coupons, subscriptions", async () => {
    const { admin, student } = cast;
    const plan = (await expectDocumented(
      await sendJson(
        "/v1/plans",
        "POST",
        { name: "Pro", priceCents: 10_000, currency: "INR", intervalMonths: 1, features: ["All tests"] },
        admin.headers,
      ),
      "POST",
      "/v1/plans",
    )) as { id: string };
    await expectDocumented(await call("/v1/plans"), "GET", "/v1/plans");
    await expectDocumented(await call(`/v1/plans/${plan.id}`), "GET", "/v1/plans/{id}");
    const code = `C${crypto.randomUUID().slice(0, 8).toUpperCase()}`;
    const coupon = (await expectDocumented(
      await sendJson("/v1/coupons", "POST", { code, kind: "percent", value: 20 }, admin.headers),
      "POST",
      "/v1/coupons",
    )) as { id: string };
    await expectDocumented(await get("/v1/coupons", admin.headers), "GET", "/v1/coupons");
    await expectDocumented(await get(`/v1/coupons/${coupon.id}`, admin.headers), "GET", "/v1/coupons/{id}");
    await expectDocumented(
      await sendJson("/v1/coupons/validate", "POST", { code, planId: plan.id }, student.headers),
      "POST",
      "/v1/coupons/validate",
    );
    await expectDocumented(
      await sendJson("/v1/coupons/validate", "POST", { code: "NOPE1234", planId: plan.id }, student.headers),
      "POST",
      "/v1/coupons/validate",
    );
    const subscription = (await expectDocumented(
      await sendJson("/v1/subscriptions", "POST", { planId: plan.id, couponCode: code }, student.headers),
      "POST",
      "/v1/subscriptions",
    )) as { id: string };
    await expectDocumented(await get("/v1/subscriptions", student.headers), "GET", "/v1/subscriptions");
    await expectDocumented(
      await call(`/v1/subscriptions/${subscription.id}/activate`, { method: "POST", headers: admin.headers }),
      "POST",
      "/v1/subscriptions/{id}/activate",
    );
    await expectDocumented(
      await call(`/v1/subscriptions/${subscription.id}/cancel`, { method: "POST", headers: student.headers }),
      "POST",
      "/v1/subscriptions/{id}/cancel",
    );
    await expectDocumented(await get(`/v1/subscriptions/${subscription.id}`, student.headers), "GET", "/v1/subscriptions/{id}");
  });

  it("planner: goals and sessions", async () => {
    const { student } = cast;
    const goal = (await expectDocumented(
      await sendJson(
        "/v1/planner/goals",
        "POST",
        { title: "Mechanics", subject: "Physics", targetDate: "2026-12-31", targetHours: 10 },
        student.headers,
      ),
      "POST",
      "/v1/planner/goals",
    )) as { id: string };
    await expectDocumented(
      await sendJson(
        "/v1/planner/sessions",
        "POST",
        { goalId: goal.id, startedAt: "2026-11-01T10:00:00Z", endedAt: "2026-11-01T11:30:00Z" },
        student.headers,
      ),
      "POST",
      "/v1/planner/sessions",
    );
    await expectDocumented(await get("/v1/planner/goals", student.headers), "GET", "/v1/planner/goals");
    await expectDocumented(await get(`/v1/planner/goals/${goal.id}`, student.headers), "GET", "/v1/planner/goals/{id}");
    await expectDocumented(await get("/v1/planner/sessions", student.headers), "GET", "/v1/planner/sessions");
  });

  it("webhooks: create, list, read, deliveries, test ping", async () => {
    const { instructor } = cast;
    const webhook = (await expectDocumented(
      await sendJson("/v1/webhooks", "POST", { url: receiverUrl(), eventTypes: [] }, instructor.headers),
      "POST",
      "/v1/webhooks",
    )) as { id: string };
    await expectDocumented(await get("/v1/webhooks", instructor.headers), "GET", "/v1/webhooks");
    await expectDocumented(await get(`/v1/webhooks/${webhook.id}`, instructor.headers), "GET", "/v1/webhooks/{id}");
    await expectDocumented(
      await call(`/v1/webhooks/${webhook.id}/test`, { method: "POST", headers: instructor.headers }),
      "POST",
      "/v1/webhooks/{id}/test",
    );
    await expectDocumented(await get(`/v1/webhooks/${webhook.id}/deliveries`, instructor.headers), "GET", "/v1/webhooks/{id}/deliveries");
    await expectDocumented(
      await call(`/v1/webhooks/${webhook.id}/rotate-secret`, { method: "POST", headers: instructor.headers }),
      "POST",
      "/v1/webhooks/{id}/rotate-secret",
    );
  });

  it("admin: users, audit trail, errors, metrics, rate limits, queues, jobs, events, security events, cache", async () => {
    const { admin, student } = cast;
    for (const [path, template] of [
      ["/v1/admin/users", "/v1/admin/users"],
      ["/v1/admin/audit-logs?limit=5", "/v1/admin/audit-logs"],
      ["/v1/admin/errors", "/v1/admin/errors"],
      ["/v1/admin/metrics/names", "/v1/admin/metrics/names"],
      ["/v1/admin/rate-limits/blocks", "/v1/admin/rate-limits/blocks"],
      ["/v1/admin/rate-limits/logs", "/v1/admin/rate-limits/logs"],
      ["/v1/admin/queues", "/v1/admin/queues"],
      ["/v1/admin/jobs?limit=5", "/v1/admin/jobs"],
      ["/v1/admin/events?limit=5", "/v1/admin/events"],
      ["/v1/admin/security-events?limit=5", "/v1/admin/security-events"],
      ["/v1/admin/cache", "/v1/admin/cache"],
    ] as const) {
      const body = (await expectDocumented(await get(path, admin.headers), "GET", template)) as { data?: { id?: string }[] };
      await expectDocumented(await get(path, student.headers), "GET", template);
      const first = body.data?.[0]?.id;
      if (first && WITH_DETAIL.has(template)) {
        await expectDocumented(await get(`${template}/${first}`, admin.headers), "GET", `${template}/{id}`);
      }
    }
    await expectDocumented(await get("/v1/admin/audit-logs/verify", admin.headers), "GET", "/v1/admin/audit-logs/verify");
  });
});

import { env } from "cloudflare:workers";
import { describe, expect, it, vi } from "vitest";
import { createUser } from "../helpers/auth";
import { testApp } from "../helpers/test-app";
import { captured, envelopeItems } from "./capture";

function appWithFailingRoute() {
  const { app, request } = testApp();
  app.get("/__test/fine/:id", (c) => c.json({ ok: true }));
  app.post("/__test/explode/:id", async (c) => {
    c.var.logger.info("loading the widget", { widget: c.req.param("id") });
    await c.req.json();
    throw new TypeError(`widget ${c.req.param("id")} exploded`);
  });
  return request;
}

describe("Sentry", () => {
  it("sends the exception with user, redacted request, tags and breadcrumbs to the ingest endpoint", async () => {
    const admin = await createUser({ role: "admin" });
    const projectId = String(100_000 + Math.floor(Math.random() * 800_000));
    const ingest = new URL(env.CAPTURE_URL);
    const dsn = `${ingest.protocol}//publickey@${ingest.host}/${projectId}`;
    const request = appWithFailingRoute();

    const res = await request(
      "/__test/explode/w1",
      {
        method: "POST",
        headers: { ...admin.headers, "Content-Type": "application/json", Cookie: "session=abc", "X-Trace": "keep-me" },
        body: JSON.stringify({ name: "gear", password: "hunter22" }),
      },
      { ...env, SENTRY_DSN: dsn, SENTRY_TRACES_SAMPLE_RATE: "0", LOG_LEVEL: "info" },
    );
    expect(res.status).toBe(500);
    const problem = (await res.json()) as { code: string; detail: string };
    expect(problem.code).toBe("internal_error");
    expect(JSON.stringify(problem)).not.toContain("exploded");

    const [envelope] = await vi.waitFor(async () => {
      const got = await captured(`/api/${projectId}/envelope`);
      expect(got.length).toBeGreaterThan(0);
      return got;
    });
    expect(envelope!.url).toContain("sentry_key=publickey");
    const event = envelopeItems(envelope!.body).find((item) => item.type === "event")!.payload;
    expect(event.exception.values[0]).toMatchObject({ type: "TypeError", value: "widget w1 exploded" });
    expect(event.user).toEqual({ id: admin.user.id, role: "admin" });
    expect(event.level).toBe("fatal");
    expect(event.release).toBe(env.APP_VERSION);
    expect(event.environment).toBe("test");
    expect(event.tags).toMatchObject({ route: "/__test/explode/:id", method: "POST", source: "fetch" });
    expect(event.request.headers.authorization).toBe("[REDACTED]");
    expect(event.request.headers.cookie).toBe("[REDACTED]");
    expect(event.request.headers["x-trace"]).toBe("keep-me");
    expect(JSON.parse(event.request.data)).toEqual({ name: "gear", password: "[REDACTED]" });
    expect(envelope!.body).not.toContain(admin.token);
    expect(envelope!.body).not.toContain("hunter22");
    const crumbs = (Array.isArray(event.breadcrumbs) ? event.breadcrumbs : event.breadcrumbs.values) as {
      message: string;
      data?: Record<string, unknown>;
    }[];
    expect(crumbs.some((crumb) => crumb.message === "loading the widget" && crumb.data?.widget === "w1")).toBe(true);
  });

  it("samples requests as http.server transactions at SENTRY_TRACES_SAMPLE_RATE", async () => {
    const ingest = new URL(env.CAPTURE_URL);
    const request = appWithFailingRoute();
    const sampled = String(700_000 + Math.floor(Math.random() * 90_000));
    const always = { ...env, SENTRY_DSN: `${ingest.protocol}//k@${ingest.host}/${sampled}`, SENTRY_TRACES_SAMPLE_RATE: "1" };
    expect((await request("/__test/fine/7?token=abc", {}, always)).status).toBe(200);
    const [envelope] = await captured(`/api/${sampled}/envelope`);
    const transaction = envelopeItems(envelope!.body).find((item) => item.type === "transaction")!.payload;
    expect(transaction).toMatchObject({
      transaction: "GET /__test/fine/:id",
      contexts: { trace: { op: "http.server", status: "ok" } },
      tags: { status: "200" },
    });
    expect(transaction.request.url).not.toContain("abc");
    expect(transaction.timestamp).toBeGreaterThanOrEqual(transaction.start_timestamp);

    const never = String(790_000 + Math.floor(Math.random() * 9_000));
    const off = { ...env, SENTRY_DSN: `${ingest.protocol}//k@${ingest.host}/${never}`, SENTRY_TRACES_SAMPLE_RATE: "0" };
    expect((await request("/__test/fine/8", {}, off)).status).toBe(200);
    expect(await captured(`/api/${never}/envelope`)).toHaveLength(0);
  });

  it("makes no outbound call at all without a DSN", async () => {
    const spy = vi.spyOn(globalThis, "fetch");
    const request = appWithFailingRoute();
    const res = await request("/__test/explode/w2", {
      method: "POST",
      headers: { "Content-Type": "application/json" },
      body: "{}",
    });
    expect(res.status).toBe(500);
    expect(spy).not.toHaveBeenCalled();
    spy.mockRestore();
  });
});

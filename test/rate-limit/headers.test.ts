import { describe, expect, it } from "vitest";
import { clock } from "../../src/lib/clock";
import { problemOf } from "../helpers/http";
import { envWith, limitedApp, uniqueKey } from "../helpers/rate-limit";

const bindings = envWith({ RATE_LIMIT_POLICIES: JSON.stringify({ search: { limit: 3, windowSeconds: 60, block: null } }) });

describe("rate limit headers", () => {
  it("puts the IETF and legacy fields on an allowed response", async () => {
    const key = uniqueKey();
    const { request } = limitedApp({ policy: "search", key: () => key });
    const now = clock.now();
    const res = await request("/t/limited", {}, bindings);
    expect(res.status).toBe(200);
    expect(res.headers.get("RateLimit-Policy")).toBe('"search";q=3;w=60');
    expect(res.headers.get("RateLimit")).toBe('"search";r=2;t=60');
    expect(res.headers.get("X-RateLimit-Limit")).toBe("3");
    expect(res.headers.get("X-RateLimit-Remaining")).toBe("2");
    const reset = Number(res.headers.get("X-RateLimit-Reset"));
    expect(reset).toBeGreaterThanOrEqual(Math.floor((now + 60_000) / 1000));
    expect(reset).toBeLessThanOrEqual(Math.ceil((now + 61_000) / 1000));
    expect(res.headers.get("Retry-After")).toBeNull();
  });

  it("answers a denial with 429 problem+json rate_limited, Retry-After and the same fields", async () => {
    const key = uniqueKey();
    const { request } = limitedApp({ policy: "search", key: () => key });
    for (let i = 0; i < 3; i++) await request("/t/limited", {}, bindings);
    clock.advance(10_000);
    const res = await request("/t/limited", {}, bindings);
    expect(res.status).toBe(429);
    const problem = await problemOf(res);
    expect(problem).toMatchObject({ status: 429, code: "rate_limited", policy: "search", retryAfterSeconds: 50, blocked: false });
    expect(res.headers.get("Retry-After")).toBe("50");
    expect(res.headers.get("RateLimit-Policy")).toBe('"search";q=3;w=60');
    expect(res.headers.get("RateLimit")).toBe('"search";r=0;t=50');
    expect(res.headers.get("X-RateLimit-Remaining")).toBe("0");
    expect(res.headers.get("Cache-Control")).toBe("no-store");
  });

  it("keeps the fields on an error the route itself answers", async () => {
    const key = uniqueKey();
    const { request } = limitedApp({ policy: "search", key: () => key });
    const res = await request("/t/limited/missing", {}, bindings);
    expect(res.status).toBe(404);
    expect(res.headers.get("RateLimit")).toBe('"search";r=2;t=60');
    expect(res.headers.get("X-RateLimit-Limit")).toBe("3");
  });

  it("lets a browser read the fields (CORS exposes them)", async () => {
    const key = uniqueKey();
    const { request } = limitedApp({ policy: "search", key: () => key });
    const res = await request("/t/limited", { headers: { Origin: "http://localhost:5173" } }, bindings);
    const exposed = (res.headers.get("Access-Control-Expose-Headers") ?? "").toLowerCase();
    for (const name of ["ratelimit", "ratelimit-policy", "x-ratelimit-remaining", "retry-after"]) expect(exposed).toContain(name);
  });
});

describe("two policies on one route", () => {
  const twoPolicies = envWith({
    RATE_LIMIT_POLICIES: JSON.stringify({ api: { limit: 10, block: null }, search: { limit: 2, block: null } }),
  });

  it("reports the tighter policy, and the one that denied on a 429", async () => {
    const key = uniqueKey();
    const { app, request } = limitedApp({ policy: "api", key: () => key });
    const { rateLimit } = await import("../../src/middleware/rate-limit");
    app.use("/t/two/*", rateLimit({ policy: "api", key: () => key }));
    app.get("/t/two/search", rateLimit({ policy: "search", key: () => key }), (c) => c.json({ ok: true }));

    const first = await request("/t/two/search", {}, twoPolicies);
    expect(first.headers.get("RateLimit")).toBe('"search";r=1;t=60');
    await request("/t/two/search", {}, twoPolicies);
    const denied = await request("/t/two/search", {}, twoPolicies);
    expect(denied.status).toBe(429);
    expect(denied.headers.get("RateLimit-Policy")).toBe('"search";q=2;w=60');
    expect((await problemOf(denied)).policy).toBe("search");
  });
});

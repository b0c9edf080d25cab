import { describe, expect, it } from "vitest";
import { asCaller, envWith, limitedApp, uniqueKey } from "../helpers/rate-limit";

const bindings = envWith({
  RATE_LIMIT_POLICIES: JSON.stringify({
    api: { limit: 2, windowSeconds: 60, block: null },
    auth: { limit: 3, windowSeconds: 60, block: null },
    ai: { limit: 10, windowSeconds: 60, block: null },
  }),
  RATE_LIMIT_ROLE_CEILINGS: JSON.stringify({ instructor: { limit: 10, windowSeconds: 60 } }),
});

const json = (body: unknown, ip: string) => ({
  method: "POST",
  headers: { "Content-Type": "application/json", "CF-Connecting-IP": ip },
  body: JSON.stringify(body),
});

describe("whose counter a request uses", () => {
  it("counts an API key's requests against its own rate limit instead of the api default", async () => {
    const apiKeyId = `key_${crypto.randomUUID()}`;
    const caller = asCaller({
      kind: "api_key",
      role: "instructor",
      userId: `usr_${crypto.randomUUID()}`,
      apiKeyId,
      apiKeyRateLimit: { limit: 5, windowSeconds: 60 },
    });
    const { request } = limitedApp({ policy: "api" }, [caller]);
    const statuses: number[] = [];
    for (let i = 0; i < 6; i++) statuses.push((await request("/t/limited", {}, bindings)).status);
    expect(statuses).toEqual([200, 200, 200, 200, 200, 429]);
    const res = await request("/t/limited", {}, bindings);
    expect(res.headers.get("RateLimit-Policy")).toBe('"api";q=5;w=60');
  });

  it("uses the api default for a key without its own limit, and the user for a session", async () => {
    const apiKeyId = `key_${crypto.randomUUID()}`;
    const keyApp = limitedApp({ policy: "api" }, [
      asCaller({ kind: "api_key", userId: `usr_${crypto.randomUUID()}`, apiKeyId, apiKeyRateLimit: null }),
    ]);
    const userId = `usr_${crypto.randomUUID()}`;
    const userApp = limitedApp({ policy: "api" }, [asCaller({ kind: "session", userId })]);
    const ip = { headers: { "CF-Connecting-IP": "198.51.100.7" } };
    for (let i = 0; i < 2; i++) expect((await keyApp.request("/t/limited", ip, bindings)).status).toBe(200);
    expect((await keyApp.request("/t/limited", ip, bindings)).status).toBe(429);
    // Same IP, different caller: its own counter.
    for (let i = 0; i < 2; i++) expect((await userApp.request("/t/limited", ip, bindings)).status).toBe(200);
    expect((await userApp.request("/t/limited", ip, bindings)).status).toBe(429);
  });

  it("falls back to the client IP for anonymous callers, one counter per IP", async () => {
    const { request } = limitedApp({ policy: "api" });
    const a = { headers: { "CF-Connecting-IP": "203.0.113.10" } };
    const b = { headers: { "CF-Connecting-IP": "203.0.113.11" } };
    for (let i = 0; i < 2; i++) expect((await request("/t/limited", a, bindings)).status).toBe(200);
    expect((await request("/t/limited", a, bindings)).status).toBe(429);
    expect((await request("/t/limited", b, bindings)).status).toBe(200);
  });

  it("limits auth per IP and per target email: rotating IPs does not help guess one account", async () => {
    const email = `victim-${crypto.randomUUID()}@proctor.test`;
    const { request } = limitedApp({ policy: "auth" });
    const statuses: number[] = [];
    for (let i = 0; i < 4; i++) {
      statuses.push(
        (await request("/t/limited", json({ email: i % 2 ? email.toUpperCase() : email, password: "x" }, `192.0.2.${i + 1}`), bindings))
          .status,
      );
    }
    expect(statuses).toEqual([200, 200, 200, 429]);
  });

  it("limits auth per IP: one IP spraying many accounts is stopped too", async () => {
    const { request } = limitedApp({ policy: "auth" });
    const ip = "192.0.2.200";
    const statuses: number[] = [];
    for (let i = 0; i < 4; i++) {
      statuses.push((await request("/t/limited", json({ email: `spray-${crypto.randomUUID()}@proctor.test` }, ip), bindings)).status);
    }
    expect(statuses).toEqual([200, 200, 200, 429]);
  });

  it("charges a request's cost: an AI call costing 4 uses four units", async () => {
    const key = uniqueKey();
    const { request } = limitedApp({ policy: "ai", cost: 4, key: () => key });
    expect((await request("/t/limited", {}, bindings)).headers.get("X-RateLimit-Remaining")).toBe("6");
    expect((await request("/t/limited", {}, bindings)).headers.get("X-RateLimit-Remaining")).toBe("2");
    expect((await request("/t/limited", {}, bindings)).status).toBe(429);
  });

  it("counts every key a custom key function returns", async () => {
    const shared = uniqueKey();
    const { request } = limitedApp({ policy: "api", key: (c) => [shared, `user:${c.req.header("X-Who")}`] });
    expect((await request("/t/limited", { headers: { "X-Who": "a" } }, bindings)).status).toBe(200);
    expect((await request("/t/limited", { headers: { "X-Who": "b" } }, bindings)).status).toBe(200);
    // `shared` is spent although each user has room left.
    expect((await request("/t/limited", { headers: { "X-Who": "c" } }, bindings)).status).toBe(429);
  });

  it("refuses a non-positive or fractional cost when the route is built", async () => {
    const { rateLimit } = await import("../../src/middleware/rate-limit");
    expect(() => rateLimit({ policy: "api", cost: 0 })).toThrow();
    expect(() => rateLimit({ policy: "api", cost: 1.5 })).toThrow();
  });
});

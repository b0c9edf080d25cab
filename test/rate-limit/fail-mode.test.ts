import { describe, expect, it } from "vitest";
import { problemOf } from "../helpers/http";
import { envWith, limitedApp, uniqueKey } from "../helpers/rate-limit";

/** A limiter binding whose every call fails, as when Durable Objects are unreachable. */
const brokenLimiter = {
  idFromName: () => ({}),
  get: () => ({ decide: () => Promise.reject(new Error("Durable Object reset because its code was updated.")) }),
};
const broken = { ...envWith({}), RATE_LIMITER: brokenLimiter };

describe("when the limiter cannot answer", () => {
  it("fails open for ordinary policies: the request goes through, without rate-limit fields", async () => {
    for (const policy of ["api", "ai", "export", "search"] as const) {
      const key = uniqueKey();
      const { request } = limitedApp({ policy, key: () => key });
      const res = await request("/t/limited", {}, broken);
      expect(res.status).toBe(200);
      expect(res.headers.get("RateLimit")).toBeNull();
    }
  });

  it("fails closed for auth: 503 service_unavailable with Retry-After, nothing leaked", async () => {
    const { request } = limitedApp({ policy: "auth" });
    const res = await request(
      "/t/limited",
      { method: "POST", headers: { "Content-Type": "application/json" }, body: JSON.stringify({ email: "x@y.test" }) },
      broken,
    );
    expect(res.status).toBe(503);
    const problem = await problemOf(res);
    expect(problem.code).toBe("service_unavailable");
    expect(res.headers.get("Retry-After")).toBe("5");
    expect(JSON.stringify(problem)).not.toContain("Durable Object reset");
  });

  it("follows a per-environment fail mode override", async () => {
    const key = uniqueKey();
    const { request } = limitedApp({ policy: "search", key: () => key });
    const closed = { ...envWith({ RATE_LIMIT_POLICIES: JSON.stringify({ search: { failMode: "closed" } }) }), RATE_LIMITER: brokenLimiter };
    expect((await request("/t/limited", {}, closed)).status).toBe(503);
  });

  it("refuses an invalid policy setting as a misconfiguration rather than guessing", async () => {
    const { request } = limitedApp({ policy: "api" });
    const res = await request("/t/limited", {}, envWith({ RATE_LIMIT_POLICIES: '{"api":{"limit":-1}}' }));
    expect(res.status).toBe(500);
    const problem = await problemOf(res);
    expect(problem.code).toBe("misconfigured");
    expect(problem.detail).toContain("RATE_LIMIT_POLICIES");
  });

  it("requires the Upstash URL and token when the upstash backend is chosen", async () => {
    const { request } = limitedApp({ policy: "api" });
    const res = await request("/t/limited", {}, envWith({ RATE_LIMIT_BACKEND: "upstash" }));
    const problem = await problemOf(res);
    expect(problem.code).toBe("misconfigured");
    expect(problem.detail).toContain("UPSTASH_REDIS_REST_URL");
  });
});

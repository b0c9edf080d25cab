import { env } from "cloudflare:workers";
import { describe, expect, it } from "vitest";
import { createUser } from "../helpers/auth";
import { problemOf } from "../helpers/http";
import { envWith, limitedApp } from "../helpers/rate-limit";
import { testApp } from "../helpers/test-app";

/** The client address comes from CF-Connecting-IP only, and only while TRUST_CF_CONNECTING_IP allows it. */

function ipApp() {
  const { app, request } = testApp();
  app.get("/__test/ip", (c) => c.json({ ip: c.var.requestContext.ip }));
  return async (headers: Record<string, string>, bindings: object = env) =>
    ((await (await request("/__test/ip", { headers }, bindings)).json()) as { ip: string }).ip;
}

const untrusting = envWith({ TRUST_CF_CONNECTING_IP: "false" });

describe("the client address", () => {
  it("is CF-Connecting-IP by default, canonical, and what audit rows record", async () => {
    const ipOf = ipApp();
    expect(await ipOf({ "CF-Connecting-IP": "203.0.113.77" })).toBe("203.0.113.77");
    expect(await ipOf({ "CF-Connecting-IP": " 2001:DB8:0:0:0:0:0:1 " })).toBe("2001:db8::1");

    const user = await createUser();
    const { request } = testApp();
    const res = await request("/v1/me", {
      method: "PATCH",
      headers: { "Content-Type": "application/json", ...user.headers, "CF-Connecting-IP": "203.0.113.78" },
      body: JSON.stringify({ name: "Located" }),
    });
    const row = await env.DB.prepare("SELECT ip FROM audit_logs WHERE request_id = ?")
      .bind(res.headers.get("Proctor-Request-Id"))
      .first<{ ip: string }>();
    expect(row!.ip).toBe("203.0.113.78");
  });

  it("is unknown when the header is not one address, and X-Forwarded-For is never read", async () => {
    const ipOf = ipApp();
    for (const value of ["1.2.3.4, 5.6.7.8", "not-an-ip", "999.1.1.1", "01.2.3.4", "::ffff:zzzz", "fe80::1%eth0", "1".repeat(5000), ""]) {
      expect(await ipOf({ "CF-Connecting-IP": value }), value.slice(0, 20)).toBe("0.0.0.0");
    }
    expect(await ipOf({ "X-Forwarded-For": "198.51.100.9", "X-Real-IP": "198.51.100.9", "True-Client-IP": "198.51.100.9" })).toBe(
      "0.0.0.0",
    );
  });

  it("with TRUST_CF_CONNECTING_IP=false, no header names the client", async () => {
    const ipOf = ipApp();
    expect(await ipOf({ "CF-Connecting-IP": "203.0.113.79" }, untrusting)).toBe("0.0.0.0");
  });

  it("refuses a setting that is not true or false", async () => {
    const res = await testApp().request("/health", {}, envWith({ TRUST_CF_CONNECTING_IP: "yes" }));
    const problem = await problemOf(res);
    expect(problem.code).toBe("misconfigured");
    expect(problem.detail).toContain("TRUST_CF_CONNECTING_IP");
  });
});

describe("per-IP limits under concurrency", () => {
  const policies = JSON.stringify({ api: { limit: 3, windowSeconds: 60, block: null } });

  it("trusted: concurrent clients at distinct addresses each have their own bucket", async () => {
    const { request } = limitedApp({ policy: "api" });
    const bindings = envWith({ RATE_LIMIT_POLICIES: policies });
    const prefix = `198.18.${crypto.getRandomValues(new Uint8Array(1))[0]}`;
    const statuses = await Promise.all(
      Array.from(
        { length: 8 },
        async (_, i) => (await request("/t/limited", { headers: { "CF-Connecting-IP": `${prefix}.${i + 1}` } }, bindings)).status,
      ),
    );
    expect(statuses).toEqual(Array(8).fill(200));
  });

  it("untrusted: the same clients cannot spread themselves over addresses they name", async () => {
    const { request } = limitedApp({ policy: "api" });
    const bindings = envWith({ RATE_LIMIT_POLICIES: policies, TRUST_CF_CONNECTING_IP: "false" });
    // Every request is the unknown address here; no other test of this file sends limited requests from it.
    const statuses = await Promise.all(
      Array.from(
        { length: 8 },
        async (_, i) => (await request("/t/limited", { headers: { "CF-Connecting-IP": `198.19.0.${i + 1}` } }, bindings)).status,
      ),
    );
    expect(statuses.filter((status) => status === 200)).toHaveLength(3);
    expect(statuses.filter((status) => status === 429)).toHaveLength(5);
  });
});

import { env } from "cloudflare:workers";
import { describe, expect, it } from "vitest";
import { HEALTH_TOKEN_HEADER } from "../../src/routes/health";
import { createApiKey, createUser } from "../helpers/auth";
import { problemOf } from "../helpers/http";
import { observeCalls, observeD1, ownRoundTrips } from "../helpers/observe";
import { testApp } from "../helpers/test-app";

const TOKEN = `health-${crypto.randomUUID()}`;

/** The real bindings, each observed, with settings overridden; `touched()` lists what the request used. */
function observed(vars: Record<string, string> = {}) {
  const d1 = observeD1(env.DB);
  const limiter = observeCalls(env.RATE_LIMITER);
  const files = observeCalls(env.FILES);
  const queue = observeCalls(env.QUEUE_DEFAULT);
  const { request } = testApp();
  const bindings = { ...env, ...vars, DB: d1.db, RATE_LIMITER: limiter.binding, FILES: files.binding, QUEUE_DEFAULT: queue.binding };
  return {
    request: (path: string, headers: Record<string, string> = {}) => request(path, { headers }, bindings),
    queueCalls: () => queue.calls.map((call) => call.method),
    touched: () => [...ownRoundTrips(d1.roundTrips), ...[...limiter.calls, ...files.calls, ...queue.calls].map((call) => call.method)],
  };
}

describe("GET /health (liveness)", () => {
  it("answers status and version, uncached, without touching any binding", async () => {
    const app = observed();
    const res = await app.request("/health");
    expect(res.status).toBe(200);
    expect(await res.json()).toEqual({ status: "ok", version: env.APP_VERSION });
    expect(res.headers.get("Cache-Control")).toBe("no-store");
    expect(app.touched()).toEqual([]);
  });

  it("stays up while the database is down", async () => {
    const brokenDb = { prepare: () => ({ first: () => Promise.reject(new Error("D1_ERROR: down")) }) };
    const res = await testApp().request("/health", {}, { ...env, DB: brokenDb });
    expect(res.status).toBe(200);
  });
});

describe("GET /health/ready (readiness)", () => {
  it("runs every check for a monitor with the token, asking the queue for its backlog instead of sending a message", async () => {
    const app = observed({ HEALTH_CHECK_TOKEN: TOKEN });
    const res = await app.request("/health/ready", { [HEALTH_TOKEN_HEADER]: TOKEN });
    expect(res.status).toBe(200);
    expect(res.headers.get("Cache-Control")).toBe("no-store");
    const body = (await res.json()) as { status: string; version: string; checks: Record<string, { status: string; latencyMs: number }> };
    expect(body.status).toBe("ok");
    expect(body.version).toBe(env.APP_VERSION);
    expect(Object.keys(body.checks).sort()).toEqual(["database", "queues", "rateLimiter", "storage"]);
    for (const check of Object.values(body.checks)) {
      expect(check.status).toBe("ok");
      expect(check.latencyMs).toBeGreaterThanOrEqual(0);
    }
    expect(app.queueCalls()).toEqual(["metrics"]);
  });

  it("runs for an admin's session and an admin's key with admin:read", async () => {
    const admin = await createUser({ role: "admin" });
    const key = await createApiKey(admin.headers, { scopes: ["admin:read"] });
    const app = observed();
    expect((await app.request("/health/ready", admin.headers)).status).toBe(200);
    expect((await app.request("/health/ready", key.headers)).status).toBe(200);
  });

  it("answers 503 naming the failing check, without saying why", async () => {
    const brokenDb = {
      prepare: () => ({
        first: () => Promise.reject(new Error("D1_ERROR: no such table: secret_internal_table")),
      }),
    };
    const res = await testApp().request(
      "/health/ready",
      { headers: { [HEALTH_TOKEN_HEADER]: TOKEN } },
      { ...env, HEALTH_CHECK_TOKEN: TOKEN, DB: brokenDb },
    );
    expect(res.status).toBe(503);
    const text = await res.text();
    expect(text).not.toContain("secret_internal_table");
    const body = JSON.parse(text) as { status: string; checks: Record<string, { status: string }> };
    expect(body.status).toBe("error");
    expect(body.checks.database!.status).toBe("error");
    expect(body.checks.storage!.status).toBe("ok");
  });
});

describe("GET /health/ready access", () => {
  it("refuses anonymous callers with 401 before any check runs", async () => {
    const app = observed({ HEALTH_CHECK_TOKEN: TOKEN });
    const res = await app.request("/health/ready");
    expect(res.status).toBe(401);
    expect((await problemOf(res)).code).toBe("unauthenticated");
    expect(app.touched()).toEqual([]);
  });

  it("refuses a wrong token, a token of another length, and any token while none is configured", async () => {
    const configured = observed({ HEALTH_CHECK_TOKEN: TOKEN });
    const sameLength = TOKEN.slice(0, -1) + (TOKEN.endsWith("a") ? "b" : "a");
    for (const token of [sameLength, `${TOKEN}x`, "x"]) {
      const res = await configured.request("/health/ready", { [HEALTH_TOKEN_HEADER]: token });
      expect(res.status).toBe(401);
      const problem = await problemOf(res);
      expect(problem.code).toBe("unauthenticated");
      expect(JSON.stringify(problem)).not.toContain(TOKEN);
    }
    expect(configured.touched()).toEqual([]);

    const unconfigured = observed();
    expect((await unconfigured.request("/health/ready", { [HEALTH_TOKEN_HEADER]: TOKEN })).status).toBe(401);
  });

  it("refuses signed-in non-admins and admin keys without admin:read with 403", async () => {
    const student = await createUser();
    const admin = await createUser({ role: "admin" });
    const narrowKey = await createApiKey(admin.headers, { scopes: ["tests:read"] });
    const app = observed();
    for (const headers of [student.headers, narrowKey.headers]) {
      const res = await app.request("/health/ready", headers);
      expect(res.status).toBe(403);
      expect(await problemOf(res)).toMatchObject({ code: "insufficient_scope", scope: "admin:read" });
    }
    expect(app.queueCalls()).toEqual([]);
  });

  it("refuses a token shorter than 32 characters at start-up, naming the setting", async () => {
    const res = await testApp().request("/health", {}, { ...env, HEALTH_CHECK_TOKEN: "too-short" });
    expect(res.status).toBe(500);
    const problem = await problemOf(res);
    expect(problem.code).toBe("misconfigured");
    expect(problem.detail).toContain("HEALTH_CHECK_TOKEN");
    expect(problem.detail).not.toContain("too-short");
  });
});

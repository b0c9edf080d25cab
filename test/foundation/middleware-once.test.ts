import { env } from "cloudflare:workers";
import { describe, expect, it } from "vitest";
import { createApp } from "../../src/app";
import { clientIp, createApiKey, createUser } from "../helpers/auth";
import { observeD1, observeLimiter } from "../helpers/observe";
import { testApp } from "../helpers/test-app";

/** Every route of the app as `METHOD path`, with a concrete path for its pattern (`:id` → `x`). */
function routeTable() {
  const app = createApp();
  const routes = new Map<string, { method: string; path: string; concrete: string }>();
  for (const { method, path } of app.routes) {
    if (method === "ALL") continue;
    routes.set(`${method} ${path}`, { method, path, concrete: path.replace(/:[^/]+/g, "x") });
  }
  return { app, routes: [...routes.values()] };
}

/** The real app with the limiter namespace and D1 observed (both forward to the real bindings). */
function observedApp() {
  const limiter = observeLimiter(env.RATE_LIMITER);
  const d1 = observeD1(env.DB);
  const { request } = testApp();
  return {
    limiter: limiter.lookups,
    d1: d1.roundTrips,
    request: (path: string, init: RequestInit = {}) => request(path, init, { ...env, RATE_LIMITER: limiter.namespace, DB: d1.db }),
  };
}

describe("each middleware runs once per request", () => {
  it("every route's chain holds each guard at most once and every /v1 route is rate limited", () => {
    const { app, routes } = routeTable();
    expect(routes.length).toBeGreaterThan(80);
    for (const route of routes) {
      // Middleware (method ALL) and the route's own handlers; other routes' handlers that share the path never run.
      const names = app.router
        .match(route.method, route.concrete)[0]
        .filter(([[, own]]) => own.method === "ALL" || (own.method === route.method && own.path === route.path))
        .map(([[handler]]) => handler.name);
      const count = (name: string) => names.filter((n) => n === name).length;
      const where = `${route.method} ${route.path}: ${names.join(", ")}`;
      expect(count("authenticate"), where).toBe(1);
      for (const guard of ["requireAuth", "requireScope", "requireRole"]) expect(count(guard), where).toBeLessThanOrEqual(1);
      if (route.path.startsWith("/v1/")) expect(count("rateLimit"), where).toBeGreaterThanOrEqual(1);
      else expect(count("rateLimit"), where).toBe(0);
    }
  });

  it("one anonymous request to any route is counted once by each policy that governs it", async () => {
    const { routes } = routeTable();
    const app = observedApp();
    const limited: string[] = [];
    for (const route of routes) {
      const ip = clientIp();
      const res = await app.request(route.concrete, { method: route.method, headers: ip });
      expect(res.status, `${route.method} ${route.path}`).toBeLessThan(500);
      const subject = `ip:${ip["CF-Connecting-IP"]}`;
      const decisions = app.limiter().filter((name) => name.endsWith(subject));
      // Each policy decides once: `api:ip:…` and, on search, `search:ip:…` — never the same name twice.
      expect(new Set(decisions).size, `${route.method} ${route.path}: ${decisions.join(", ")}`).toBe(decisions.length);
      if (decisions.length > 0) limited.push(`${route.method} ${route.path}`);
    }
    expect(limited).toEqual(
      expect.arrayContaining([
        "GET /v1/me",
        "GET /v1/me/attempts",
        "POST /v1/tests/:id/attempts",
        "GET /v1/tests/:id/analytics",
        "GET /v1/admin/queues",
        "GET /v1/api-keys",
      ]),
    );
  });

  it("an API-key request is limited once and its credential looked up once", async () => {
    const owner = await createUser();
    const key = await createApiKey(owner.headers, { scopes: ["profile:read"], rateLimit: { limit: 5, windowSeconds: 60 } });
    const app = observedApp();

    const res = await app.request("/v1/me", { headers: key.headers });
    expect(res.status).toBe(200);
    // The Durable Object counted one unit: a second decision on the same request would leave 3.
    expect(res.headers.get("X-RateLimit-Remaining")).toBe("4");
    // The key's bucket, then its owner's (the role ceiling): each once.
    expect(app.limiter()).toEqual([`api:api_key:${key.id}`, `api:user:${owner.user.id}`]);
    expect(app.d1.filter((sql) => sql.includes('from "api_keys"'))).toHaveLength(1);
  });

  it("a route behind two policies is decided once by each, and the session is looked up once", async () => {
    const user = await createUser();
    const app = observedApp();
    const res = await app.request("/v1/me/password", {
      method: "POST",
      headers: { ...user.headers, ...clientIp(), "Content-Type": "application/json" },
      body: JSON.stringify({ currentPassword: "Wrong-Guess-1-9!", newPassword: "A-New-Password-42!" }),
    });
    expect(res.status).toBe(401);
    // The me group's `api` for the user, then the password check's `auth` for the IP and the account.
    expect(app.limiter().map((name) => name.split(":").slice(0, 2).join(":"))).toEqual(["api:user", "auth:ip", "auth:user"]);
    expect(app.d1.filter((sql) => sql.includes('from "sessions"'))).toHaveLength(1);
  });
});

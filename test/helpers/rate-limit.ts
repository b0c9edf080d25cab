import { env } from "cloudflare:workers";
import type { MiddlewareHandler } from "hono";
import type { AuthContext } from "../../src/lib/auth/context";
import { ApiError } from "../../src/lib/errors";
import { rateLimit, type RateLimitOptions } from "../../src/middleware/rate-limit";
import type { AppEnv } from "../../src/env";
import { testApp } from "./test-app";

/** The real bindings with settings overridden (e.g. RATE_LIMIT_POLICIES), as a fresh env object. */
export function envWith(vars: Record<string, string>): typeof env {
  return { ...env, ...vars };
}

/** A key no other test uses, so tests in one file never share a counter. */
export function uniqueKey(kind = "user"): string {
  return `${kind}:${crypto.randomUUID()}`;
}

/** Sets `c.var.auth` the way the auth middleware would, for tests of keys derived from the caller. */
export function asCaller(auth: Partial<AuthContext>): MiddlewareHandler<AppEnv> {
  return async function asCaller(c, next) {
    c.set("auth", { kind: "session", userId: "usr_test", role: "student", scopes: new Set(), ...auth } as AuthContext);
    await next();
  };
}

/**
 * The real app plus `ALL /t/limited` behind `rateLimit(options)` (and any middleware before it),
 * answering `{ ok: true }`; `GET /t/limited/missing` throws a 404 behind the same limiter.
 */
export function limitedApp(options: RateLimitOptions, before: MiddlewareHandler<AppEnv>[] = []) {
  const { app, request } = testApp();
  for (const middleware of before) app.use("/t/limited/*", middleware);
  app.all("/t/limited", rateLimit(options), (c) => c.json({ ok: true }));
  app.get("/t/limited/missing", rateLimit(options), () => {
    throw ApiError.notFound("question");
  });
  return { app, request };
}

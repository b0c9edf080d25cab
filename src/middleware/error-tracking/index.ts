import type { Context, MiddlewareHandler } from "hono";
import { routePath } from "hono/route";
import { redact, redactHeaders, redactString } from "../../lib/security/redact";
import { clock } from "../../lib/clock";
import { maybeSendRequestTrace } from "../../lib/monitoring/sentry";
import { ErrorTracker, type RequestSample } from "../../lib/monitoring/tracker";
import type { AppEnv } from "../../env";

/** Enough of a body to debug with; the rest is cut. */
const MAX_BODY_CHARS = 4096;
const TEXTUAL_BODY = /^(application\/([\w.-]+\+)?json|application\/x-www-form-urlencoded|text\/)/i;

/** The route template (`/v1/tests/:id`), never the concrete path, so tags group. */
function routeTemplate(c: Context<AppEnv>): string {
  const matched = routePath(c, -1);
  return !matched || matched.endsWith("*") ? "unmatched" : matched;
}

async function redactedBody(c: Context<AppEnv>): Promise<string | null> {
  if (c.req.method === "GET" || c.req.method === "HEAD") return null;
  const type = c.req.header("Content-Type") ?? "";
  if (!TEXTUAL_BODY.test(type)) return c.req.raw.body ? `[${type.split(";")[0] || "binary"} body omitted]` : null;
  let text: string;
  try {
    text = await c.req.text();
  } catch {
    return "[body unavailable]";
  }
  if (text.length === 0) return null;
  try {
    return JSON.stringify(redact(JSON.parse(text))).slice(0, MAX_BODY_CHARS);
  } catch {
    return redactString(text.slice(0, MAX_BODY_CHARS));
  }
}

function waitUntilOf(c: Context<AppEnv>) {
  return (promise: Promise<unknown>) => {
    try {
      c.executionCtx.waitUntil(promise);
    } catch {
      // No execution context (a bare app.request in a script): the promise still runs.
    }
  };
}

/**
 * Error tracking for the request: every error/critical log line and every unhandled error
 * (`reportError`) becomes an ErrorLog occurrence, goes to Sentry when configured, and alerts when
 * critical — all through `waitUntil`. With SENTRY_TRACES_SAMPLE_RATE > 0 it also sends that fraction
 * of requests to Sentry as `http.server` transactions. Runs after `services()` (logger, db, config).
 */
export const errorTracking = (): MiddlewareHandler<AppEnv> => {
  return async function errorTracking(c, next) {
    const ctx = c.get("requestContext");
    const tracker = new ErrorTracker({
      env: c.env,
      logger: c.var.logger,
      db: c.var.db,
      source: "fetch",
      requestId: ctx.requestId,
      clientRequestId: ctx.clientRequestId,
      waitUntil: waitUntilOf(c),
      tags: () => ({ route: routeTemplate(c), method: c.req.method, colo: ctx.colo, country: ctx.country }),
      request: async (): Promise<RequestSample> => ({
        url: redactString(c.req.url),
        method: c.req.method,
        path: c.req.path,
        headers: redactHeaders(c.req.raw.headers),
        body: await redactedBody(c),
      }),
      user: () => {
        const auth = c.get("auth");
        return auth ? { id: auth.userId, role: auth.role } : null;
      },
    });
    c.set("errorTracker", tracker);
    await next();
    maybeSendRequestTrace(c.var.config, {
      waitUntil: waitUntilOf(c),
      route: routeTemplate(c),
      method: c.req.method,
      url: redactString(c.req.url),
      status: c.res.status,
      startedAt: ctx.startedAt,
      endedAt: clock.now(),
      tags: { method: c.req.method, colo: ctx.colo, country: ctx.country, status: String(c.res.status) },
      user: c.get("auth") ? { id: c.get("auth")!.userId, role: c.get("auth")!.role } : null,
    });
  };
};

import { Hono, type MiddlewareHandler } from "hono";
import { sha256Hex, timingSafeEqual } from "../lib/auth/tokens";
import { ApiError } from "../lib/errors";
import { requireScope } from "../middleware/auth";
import type { AppEnv, Env } from "../env";
import { operationsOf } from "../openapi/describe";
import { livenessSchema, readinessSchema } from "../openapi/schemas/health";

type CheckResult = { status: "ok" | "error"; latencyMs: number; error?: string; cause?: string };

const describe = operationsOf("Health");

/** The header a monitor sends the `HEALTH_CHECK_TOKEN` secret in. */
export const HEALTH_TOKEN_HEADER = "X-Health-Check-Token";

/**
 * Each check makes one real round trip to its binding and changes nothing; a failure says which
 * binding, never why in detail. Queues are asked for their backlog (`metrics()`), not sent a message.
 */
const CHECKS: Record<string, (env: Env) => Promise<unknown>> = {
  database: (env) => env.DB.prepare("SELECT 1").first(),
  rateLimiter: async (env) => {
    const stub = env.RATE_LIMITER.get(env.RATE_LIMITER.idFromName("health"));
    if ((await stub.ping()) !== "pong") throw new Error("unexpected reply");
  },
  queues: (env) => env.QUEUE_DEFAULT.metrics(),
  storage: (env) => env.FILES.head("health/probe"),
};

const CHECK_TIMEOUT_MS = 2000;

async function runCheck(env: Env, check: (env: Env) => Promise<unknown>): Promise<CheckResult> {
  const started = performance.now();
  let timer: ReturnType<typeof setTimeout> | undefined;
  try {
    await Promise.race([
      check(env),
      new Promise((_, reject) => {
        timer = setTimeout(() => reject(new Error("timed out")), CHECK_TIMEOUT_MS);
      }),
    ]);
    return { status: "ok", latencyMs: Math.round(performance.now() - started) };
  } catch (error) {
    return {
      status: "error",
      latencyMs: Math.round(performance.now() - started),
      error: error instanceof Error && error.message === "timed out" ? "timed out" : "unavailable",
      cause: String(error),
    };
  } finally {
    if (timer !== undefined) clearTimeout(timer);
  }
}

/**
 * The deep checks cost a round trip to every binding, so only operators may run them: a monitor
 * sending the configured token in `X-Health-Check-Token`, or an admin credential with `admin:read`.
 * Tokens are compared as SHA-256 digests, in constant time and without revealing the token's length.
 */
const operatorsOnly = (): MiddlewareHandler<AppEnv> => {
  const adminRead = requireScope("admin:read");
  return async function operatorsOnly(c, next) {
    const presented = c.req.header(HEALTH_TOKEN_HEADER);
    if (presented === undefined) return adminRead(c, next);
    const expected = c.var.config.healthCheckToken;
    if (expected !== null && timingSafeEqual(await sha256Hex(presented), await sha256Hex(expected))) return next();
    throw new ApiError("unauthenticated", `The ${HEALTH_TOKEN_HEADER} header is not the configured health check token.`);
  };
};

/**
 * `GET /health` is liveness: this isolate answers, touching no binding, so anyone may poll it.
 * `GET /health/ready` is readiness: D1, the rate limiter, the queues and R2 each answer, for operators.
 */
export const healthRoutes = new Hono<AppEnv>()
  .get(
    "/",
    describe({
      summary: "Liveness: this isolate answers",
      description: "Touches no binding; anyone may poll it.",
      responses: { 200: ["Alive", livenessSchema] },
    }),
    (c) => {
      c.header("Cache-Control", "no-store");
      return c.json({ status: "ok", version: c.var.config.version });
    },
  )

  .get(
    "/ready",
    describe({
      summary: "Readiness: D1, the rate limiter, the queues and R2 each answer",
      description: "For operators: an admin credential with `admin:read`, or a monitor sending `X-Health-Check-Token`.",
      security: [{ bearer: [] }, { sessionCookie: [] }, { healthCheckToken: [] }],
      scopes: ["admin:read"],
      responses: { 200: ["Every check passed", readinessSchema], 503: ["A check failed (same body, `status: error`)", readinessSchema] },
    }),
    operatorsOnly(),
    async (c) => {
      const names = Object.keys(CHECKS);
      const results = await Promise.all(names.map((name) => runCheck(c.env, CHECKS[name]!)));
      const checks: Record<string, CheckResult> = {};
      names.forEach((name, i) => {
        const { cause, ...result } = results[i]!;
        if (cause) c.var.logger.error("health check failed", { check: name, cause });
        checks[name] = result;
      });
      const healthy = results.every((result) => result.status === "ok");
      c.header("Cache-Control", "no-store");
      return c.json({ status: healthy ? "ok" : "error", version: c.var.config.version, checks }, healthy ? 200 : 503);
    },
  );

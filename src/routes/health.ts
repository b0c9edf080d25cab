import { Hono } from "hono";
import type { AppEnv, Env } from "../env";

type CheckResult = { status: "ok" | "error"; latencyMs: number; error?: string; cause?: string };

/** Each check makes one real round trip to its binding; a failure says which binding, never why in detail. */
const CHECKS: Record<string, (env: Env) => Promise<unknown>> = {
  database: (env) => env.DB.prepare("SELECT 1").first(),
  rateLimiter: async (env) => {
    const stub = env.RATE_LIMITER.get(env.RATE_LIMITER.idFromName("health"));
    if ((await stub.ping()) !== "pong") throw new Error("unexpected reply");
  },
  queues: (env) => env.QUEUE_DEFAULT.send({ kind: "health" }, { contentType: "json" }),
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

export const healthRoutes = new Hono<AppEnv>().get("/", async (c) => {
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
});

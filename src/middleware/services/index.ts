import type { MiddlewareHandler } from "hono";
import { routePath } from "hono/route";
import { type Config, ConfigError, loadConfig } from "../../config";
import { createDb } from "../../db";
import { clock } from "../../lib/clock";
import { ApiError } from "../../lib/errors";
import { Logger } from "../../lib/logger";
import { isolateMetrics } from "../../lib/metrics/aggregator";
import { MetricsRecorder } from "../../lib/metrics/recorder";
import { BOOKMARK_HEADER, openRequestD1 } from "../read-replication";
import type { AppEnv } from "../../env";

/** A request slower than this is notable enough for its own log line. */
export const SLOW_REQUEST_MS = 1000;

/**
 * Whether a request gets a `request` log line. Every request is counted in `http.request` already; a
 * line per request would cost each read a log write (and, under `wrangler dev`, most of its CPU), so
 * by default only server errors and slow requests get one.
 */
function isLogged(mode: Config["requestLog"], status: number, durationMs: number): boolean {
  if (mode === "all") return true;
  return mode === "notable" && (status >= 500 || durationMs >= SLOW_REQUEST_MS);
}

/**
 * Gives every request its services: validated configuration, the database, a logger bound to the
 * request, and a metrics recorder. After the response it records the request's own metric point
 * into the isolate's aggregator, logs the request if it is notable, and, when a flush is due, writes the aggregates through `waitUntil`
 * — most requests write nothing.
 */
export const services = (): MiddlewareHandler<AppEnv> => {
  return async function services(c, next) {
    let config: Config;
    try {
      config = loadConfig(c.env);
    } catch (error) {
      if (error instanceof ConfigError) {
        console.error(JSON.stringify({ level: "critical", message: error.message }));
        throw new ApiError("misconfigured", `The server is missing or has invalid settings: ${error.settings.join(", ")}.`);
      }
      throw error;
    }
    const ctx = c.get("requestContext");
    const logger = new Logger(
      {
        requestId: ctx.requestId,
        ...(ctx.clientRequestId ? { clientRequestId: ctx.clientRequestId } : {}),
        method: c.req.method,
        path: c.req.path,
      },
      config.logLevel,
    );
    const metrics = new MetricsRecorder(c.env.METRICS_ENGINE);
    // The binding, or a read-replication session over it: every query of the request runs through it.
    const d1 = openRequestD1(c.env.DB, config.d1ReadReplication, c.req.method, c.req.header(BOOKMARK_HEADER));
    const db = createDb(d1);
    c.set("config", config);
    c.set("d1", d1);
    c.set("db", db);
    c.set("logger", logger);
    c.set("metrics", metrics);

    await next();

    const durationMs = clock.now() - ctx.startedAt;
    const matched = routePath(c, -1);
    const route = !matched || matched.endsWith("*") ? "unmatched" : matched;
    const status = c.res.status;
    metrics.record("http.request", durationMs, {
      route,
      method: c.req.method,
      status: `${Math.floor(status / 100)}xx`,
    });
    if (isLogged(config.requestLog, status, durationMs)) {
      logger.info("request", { route, status, durationMs, actor: c.get("auth")?.userId ?? null });
    }
    const flush = isolateMetrics.flushIfDue(c.env.DB, logger);
    if (flush) c.executionCtx.waitUntil(flush);
  };
};

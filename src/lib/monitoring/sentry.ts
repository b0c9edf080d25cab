import { Toucan } from "toucan-js";
import type { Config } from "../../config";
import type { LogEntry, LogLevel } from "../logger";

export interface SentryContext {
  waitUntil: (promise: Promise<unknown>) => void;
  /** Already redacted: the URL, method, headers and body as error tracking stores them. */
  request?: { url: string; method: string; headers: Record<string, string>; body: string | null } | null;
  user?: { id: string; role: string } | null;
  tags: Record<string, string | null | undefined>;
  breadcrumbs: readonly LogEntry[];
  extra?: Record<string, unknown>;
}

const SENTRY_LEVEL: Record<LogLevel, "debug" | "info" | "warning" | "error" | "fatal"> = {
  debug: "debug",
  info: "info",
  warn: "warning",
  error: "error",
  critical: "fatal",
};

/**
 * Sends one exception to Sentry (toucan-js) with the request, user, tags and the request's log lines
 * as breadcrumbs. Returns null without touching the network when no DSN is configured. The request
 * is set in `beforeSend` from our redacted copy, so the raw Authorization/Cookie never leave.
 */
export function captureWithSentry(config: Config, error: Error, level: "error" | "critical", context: SentryContext): string | null {
  if (!config.sentry) return null;
  const request = context.request;
  const sentry = new Toucan({
    dsn: config.sentry.dsn,
    release: config.version,
    environment: config.environment,
    tracesSampleRate: config.sentry.tracesSampleRate,
    context: { waitUntil: (promise) => context.waitUntil(promise) },
    beforeSend(event) {
      if (request) {
        event.request = {
          url: request.url,
          method: request.method,
          headers: request.headers,
          ...(request.body != null ? { data: request.body } : {}),
        };
      }
      return event;
    },
  });
  for (const [key, value] of Object.entries(context.tags)) {
    if (value != null && value !== "") sentry.setTag(key, value);
  }
  if (context.user) sentry.setUser({ id: context.user.id, role: context.user.role });
  if (context.extra) sentry.setExtras(context.extra);
  for (const entry of context.breadcrumbs) {
    sentry.addBreadcrumb({
      timestamp: entry.time / 1000,
      level: SENTRY_LEVEL[entry.level],
      category: "log",
      message: entry.message,
      data: entry.fields,
    });
  }
  sentry.setLevel(SENTRY_LEVEL[level]);
  return sentry.captureException(error);
}

export interface RequestTrace {
  waitUntil: (promise: Promise<unknown>) => void;
  /** Route template, e.g. `/v1/tests/:id`. */
  route: string;
  method: string;
  url: string;
  status: number;
  startedAt: number;
  endedAt: number;
  tags: Record<string, string | null | undefined>;
  user?: { id: string; role: string } | null;
}

function randomHex(bytes: number): string {
  return Array.from(crypto.getRandomValues(new Uint8Array(bytes)), (byte) => byte.toString(16).padStart(2, "0")).join("");
}

/**
 * A performance sample: one `http.server` transaction for this request, sent for a
 * SENTRY_TRACES_SAMPLE_RATE fraction of requests (toucan-js does not trace by itself). Returns
 * whether one was sent; the draw happens here so callers stay one line.
 */
export function maybeSendRequestTrace(config: Config, trace: RequestTrace, draw = Math.random()): boolean {
  if (!config.sentry || draw >= config.sentry.tracesSampleRate) return false;
  const sentry = new Toucan({
    dsn: config.sentry.dsn,
    release: config.version,
    environment: config.environment,
    context: { waitUntil: (promise) => trace.waitUntil(promise) },
  });
  if (trace.user) sentry.setUser({ id: trace.user.id, role: trace.user.role });
  const tags: Record<string, string> = {};
  for (const [key, value] of Object.entries(trace.tags)) if (value != null && value !== "") tags[key] = value;
  sentry.captureEvent({
    type: "transaction",
    transaction: `${trace.method} ${trace.route}`,
    start_timestamp: trace.startedAt / 1000,
    timestamp: trace.endedAt / 1000,
    tags,
    request: { url: trace.url, method: trace.method },
    contexts: {
      trace: {
        trace_id: randomHex(16),
        span_id: randomHex(8),
        op: "http.server",
        status: trace.status >= 500 ? "internal_error" : trace.status >= 400 ? "invalid_argument" : "ok",
        data: { "http.response.status_code": trace.status },
      },
    },
    spans: [],
  });
  return true;
}

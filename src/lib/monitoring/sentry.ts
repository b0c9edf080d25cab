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
export function captureWithSentry(
  config: Config,
  error: Error,
  level: "error" | "critical",
  context: SentryContext,
): string | null {
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

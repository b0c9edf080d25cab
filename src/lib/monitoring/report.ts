import type { Context } from "hono";
import type { AppEnv } from "../../env";

/**
 * Records an error raised while serving a request: a log line with message and stack, an ErrorLog
 * occurrence, a Sentry event when configured, and an alert when critical (see ErrorTracker). The
 * client sees only the problem body. Before the error-tracking middleware has run (e.g. the
 * configuration itself is broken) only the log line is written.
 */
export function reportError<E extends AppEnv>(c: Context<E>, error: unknown, severity: "error" | "critical"): void {
  const tracker = c.get("errorTracker");
  if (tracker) {
    tracker.capture(error, severity);
    return;
  }
  const err = error instanceof Error ? error : new Error(String(error));
  const logger = c.get("logger");
  const fields = { errorType: err.name, stack: err.stack };
  if (logger) logger.log(severity, err.message, fields);
  else console.error(JSON.stringify({ level: severity, message: err.message, ...fields }));
}

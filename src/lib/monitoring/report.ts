import type { Context } from "hono";
import type { AppEnv } from "../../env";

/**
 * Records an error raised while serving a request. The log line carries the message and stack; the
 * client sees only the problem body. Error tracking (ErrorLog, Sentry, alerts) hooks in here.
 */
export function reportError(c: Context<AppEnv>, error: unknown, severity: "error" | "critical"): void {
  const err = error instanceof Error ? error : new Error(String(error));
  const logger = c.get("logger");
  const fields = { errorType: err.name, stack: err.stack };
  if (logger) logger.log(severity, err.message, fields);
  else console.error(JSON.stringify({ level: severity, message: err.message, ...fields }));
}

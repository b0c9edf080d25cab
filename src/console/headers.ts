import type { MiddlewareHandler } from "hono";
import type { ConsoleEnv } from "./env";

/**
 * The console's own policy, stricter where it can be: scripts and styles only from this origin (no
 * inline script or style at all, so an injected string cannot run), forms only back to it, never framed.
 */
const CONSOLE_CSP = [
  "default-src 'none'",
  "script-src 'self'",
  "style-src 'self'",
  "img-src 'self' data:",
  "connect-src 'self'",
  "form-action 'self'",
  "frame-ancestors 'none'",
  "base-uri 'none'",
].join("; ");

/** Pages are private and live: never cached, never sniffed, never sent as a referrer elsewhere. */
export const consoleHeaders = (): MiddlewareHandler<ConsoleEnv> => {
  return async function consoleHeaders(c, next) {
    await next();
    c.res.headers.set("Content-Security-Policy", CONSOLE_CSP);
    c.res.headers.set("Cache-Control", "no-store");
    c.res.headers.set("X-Content-Type-Options", "nosniff");
    c.res.headers.set("Referrer-Policy", "same-origin");
  };
};

/**
 * Headers on every response that carries bytes a user stored: never sniffed into another type and,
 * if a browser renders them anyway, sandboxed with nothing allowed (no script, plugins or requests).
 * A route's CSP is kept by the global security headers (src/app.ts), which only fill in what a
 * response lacks.
 */
export const SERVED_FILE_HEADERS = {
  "Content-Security-Policy": "default-src 'none'; sandbox",
  "X-Content-Type-Options": "nosniff",
} as const;

import type { MiddlewareHandler } from "hono";
import { bodyLimit as honoBodyLimit } from "hono/body-limit";
import { ApiError } from "../../lib/errors";
import type { AppEnv } from "../../env";

export interface BodyLimitOptions {
  /** Largest accepted body in bytes for this request (e.g. JSON cap vs. upload cap by content type). */
  maxBytes: (c: Parameters<MiddlewareHandler<AppEnv>>[0]) => number;
}

/**
 * Caps request bodies, by Content-Length up front and by counting streamed bytes when it is absent
 * or lies, answering 413 `payload_too_large` without reading the rest.
 */
export const bodyLimit = (options: BodyLimitOptions): MiddlewareHandler<AppEnv> => {
  return async function bodyLimit(c, next) {
    if (c.req.method === "GET" || c.req.method === "HEAD" || c.req.method === "OPTIONS") return next();
    const maxBytes = options.maxBytes(c);
    const limiter = honoBodyLimit({
      maxSize: maxBytes,
      onError: () => {
        throw new ApiError("payload_too_large", `The request body exceeds ${maxBytes} bytes.`, {
          extensions: { maxBytes },
        });
      },
    });
    return limiter(c, next);
  };
};

import type { MiddlewareHandler } from "hono";
import { clock } from "../../lib/clock";
import { newId } from "../../lib/ids";
import type { AppEnv } from "../../env";

/** Who is calling from where, as far as the edge can tell before authentication. */
export interface RequestContext {
  requestId: string;
  startedAt: number;
  ip: string;
  userAgent: string | null;
  country: string | null;
  city: string | null;
  region: string | null;
  colo: string | null;
  latitude: number | null;
  longitude: number | null;
}

/** An incoming id is kept only if it is short and plain, so it cannot inject into logs or headers. */
const VALID_REQUEST_ID = /^[A-Za-z0-9._:-]{8,128}$/;

export interface RequestContextOptions {
  /** Response header carrying the id back to the caller. */
  header?: string;
}

export const requestContext = (options: RequestContextOptions = {}): MiddlewareHandler<AppEnv> => {
  const header = options.header ?? "X-Request-Id";
  return async function requestContext(c, next) {
    const incoming = c.req.header(header);
    const requestId = incoming && VALID_REQUEST_ID.test(incoming) ? incoming : newId("request");
    const cf = (c.req.raw as { cf?: IncomingRequestCfProperties }).cf;
    const context: RequestContext = {
      requestId,
      startedAt: clock.now(),
      // Only Cloudflare's own header is trusted: X-Forwarded-For is whatever the client says.
      ip: c.req.header("CF-Connecting-IP") ?? "0.0.0.0",
      userAgent: c.req.header("User-Agent")?.slice(0, 512) ?? null,
      country: stringOrNull(cf?.country),
      city: stringOrNull(cf?.city),
      region: stringOrNull(cf?.region),
      colo: stringOrNull(cf?.colo),
      latitude: numberOrNull(cf?.latitude),
      longitude: numberOrNull(cf?.longitude),
    };
    c.set("requestId", requestId);
    c.set("requestContext", context);
    await next();
    c.header(header, requestId);
  };
};

function stringOrNull(value: unknown): string | null {
  return typeof value === "string" && value.length > 0 ? value : null;
}

function numberOrNull(value: unknown): number | null {
  const n = typeof value === "string" ? Number.parseFloat(value) : value;
  return typeof n === "number" && Number.isFinite(n) ? n : null;
}

import type { MiddlewareHandler } from "hono";
import { clock } from "../../lib/clock";
import { newId } from "../../lib/ids";
import { clientIp, trustsCfConnectingIp } from "../../lib/security/client-ip";
import type { AppEnv } from "../../env";

/** Who is calling from where, as far as the edge can tell before authentication. */
export interface RequestContext {
  /** Made by the server for this request: audit rows, error rows and security events key on it. */
  requestId: string;
  /** The caller's own `X-Request-Id`, when valid: echoed and logged as their correlation id, never a key. */
  clientRequestId: string | null;
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

/** The response header that always carries the server's own id, whatever the client sent. */
export const SERVER_REQUEST_ID_HEADER = "Proctor-Request-Id";

export interface RequestContextOptions {
  /** Request header a client may send its correlation id in, echoed back in the response. */
  header?: string;
}

/**
 * Who is calling from where, and the request's ids. A client's valid `X-Request-Id` comes back in
 * the same header (the server's id when it sent none); `Proctor-Request-Id` always carries the server's.
 */
export const requestContext = (options: RequestContextOptions = {}): MiddlewareHandler<AppEnv> => {
  const header = options.header ?? "X-Request-Id";
  return async function requestContext(c, next) {
    const incoming = c.req.header(header);
    const clientRequestId = incoming && VALID_REQUEST_ID.test(incoming) ? incoming : null;
    const requestId = newId("request");
    const cf = (c.req.raw as { cf?: IncomingRequestCfProperties }).cf;
    const context: RequestContext = {
      requestId,
      clientRequestId,
      startedAt: clock.now(),
      ip: clientIp(c.req.raw.headers, trustsCfConnectingIp(c.env)),
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
    c.header(header, clientRequestId ?? requestId);
    c.header(SERVER_REQUEST_ID_HEADER, requestId);
  };
};

function stringOrNull(value: unknown): string | null {
  return typeof value === "string" && value.length > 0 ? value : null;
}

function numberOrNull(value: unknown): number | null {
  const n = typeof value === "string" ? Number.parseFloat(value) : value;
  return typeof n === "number" && Number.isFinite(n) ? n : null;
}

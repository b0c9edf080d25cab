import type { MiddlewareHandler } from "hono";
import { clock } from "../../lib/clock";
import { ApiError } from "../../lib/errors";
import { findInputProbes, recordInputProbes } from "../../lib/security/detectors/input-probes";
import { detectRapidActions } from "../../lib/security/detectors/rapid-actions";
import type { AppEnv } from "../../env";

const SAFE_METHODS = new Set(["GET", "HEAD", "OPTIONS"]);
const JSON_MEDIA_TYPE = /^application\/([\w.-]+\+)?json\b/i;

export interface ThreatDetectionOptions {
  /** JSON bodies larger than this are not inspected (probes are short; the route still reads them). */
  maxInspectedBodyBytes?: number;
}

/**
 * Watches every request for suspicious activity without ever changing its answer: XSS and SQL
 * injection probes in the query string and JSON body, and rapid state-changing requests by one
 * actor. Mount it before `authenticate` so probes sent with bad credentials are seen too; the
 * caller's identity is read after the request has been handled. All judging and writing happens
 * after the response (`waitUntil`).
 *
 * The JSON body is read (and cached by Hono) before the route runs, because a body nobody read
 * cannot be read once the response has gone; the route's own parse reuses that text.
 */
export const threatDetection = (options: ThreatDetectionOptions = {}): MiddlewareHandler<AppEnv> => {
  const maxBodyBytes = options.maxInspectedBodyBytes ?? 256 * 1024;
  return async function threatDetection(c, next) {
    let body: string | null = null;
    const mediaType = c.req.header("Content-Type") ?? "";
    const length = Number(c.req.header("Content-Length") ?? Number.NaN);
    if (!SAFE_METHODS.has(c.req.method) && JSON_MEDIA_TYPE.test(mediaType) && length > 0 && length <= maxBodyBytes) {
      try {
        body = await c.req.text();
      } catch (error) {
        // An oversized body is the request's own problem (413), reported as usual; anything else just skips inspection.
        if (error instanceof ApiError) throw error;
      }
    }

    await next();

    const now = clock.now();
    const auth = c.get("auth");
    const hasQuery = c.req.url.includes("?");
    if (!hasQuery && body === null && (!auth || SAFE_METHODS.has(c.req.method))) return;
    c.executionCtx.waitUntil(
      (async () => {
        if (hasQuery || body !== null) {
          const findings = findInputProbes({ query: c.req.queries(), body });
          if (findings.length > 0) await recordInputProbes(c, findings, now);
        }
        if (auth && !SAFE_METHODS.has(c.req.method)) {
          await detectRapidActions(c, { actorId: auth.userId, apiKeyId: auth.apiKeyId ?? null, now });
        }
      })().catch((error: unknown) => c.var.logger.error("threat detection failed", { error: String(error) })),
    );
  };
};

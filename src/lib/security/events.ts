import type { Context } from "hono";
import { clock } from "../clock";
import { newId } from "../ids";
import { redact } from "./redact";
import { securityEvents, type NewSecurityEvent, type SecurityEventType, type SecuritySeverity } from "../../db/schema";
import type { AppEnv } from "../../env";

export interface SecurityEventInput {
  type: SecurityEventType;
  severity: SecuritySeverity;
  details?: Record<string, unknown>;
  /** The account concerned, when it is not the authenticated caller (e.g. the target of brute force). */
  actorId?: string | null;
  apiKeyId?: string | null;
}

/** The SecurityEvent row for something seen in this request, with IP, geolocation and actor filled in. */
export function securityEventEntry(c: Context<AppEnv>, input: SecurityEventInput): NewSecurityEvent {
  const ctx = c.get("requestContext");
  const auth = c.get("auth");
  const now = clock.now();
  return {
    id: newId("securityEvent", now),
    type: input.type,
    severity: input.severity,
    status: "OPEN",
    actorId: input.actorId !== undefined ? input.actorId : (auth?.userId ?? null),
    apiKeyId: input.apiKeyId !== undefined ? input.apiKeyId : (auth?.apiKeyId ?? null),
    ip: ctx.ip,
    userAgent: ctx.userAgent,
    country: ctx.country,
    city: ctx.city,
    latitude: ctx.latitude,
    longitude: ctx.longitude,
    requestId: ctx.requestId,
    details: redact(input.details ?? {}),
    createdAt: now,
    updatedAt: now,
  };
}

/**
 * Records a security event after the response (`waitUntil`), so detection never slows or fails the
 * request that triggered it. Alerting on high-severity events hooks in here.
 */
export function recordSecurityEvent(c: Context<AppEnv>, input: SecurityEventInput): void {
  const entry = securityEventEntry(c, input);
  const write = c
    .get("db")
    .insert(securityEvents)
    .values(entry)
    .then(() => undefined)
    .catch((error: unknown) => c.get("logger").error("security event write failed", { type: input.type, error: String(error) }));
  c.executionCtx.waitUntil(write);
  c.get("logger").warn("security event", { type: input.type, severity: input.severity });
}

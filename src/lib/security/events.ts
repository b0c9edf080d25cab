import type { Context } from "hono";
import { clock } from "../clock";
import { newId } from "../ids";
import { redact } from "./redact";
import { sendAlert } from "../monitoring/alerts";
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
function securityEventEntry(c: Context<AppEnv>, input: SecurityEventInput): NewSecurityEvent {
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

/** Severities that page an operator through the alert webhook. */
const ALERTING_SEVERITIES: ReadonlySet<SecuritySeverity> = new Set(["HIGH", "CRITICAL"]);

/**
 * Writes a security event now and, for HIGH and CRITICAL, raises the alert (rate-limited per type
 * and source by `sendAlert`). Never rejects: a failed write is logged, not thrown, because detection
 * must not break the request or job that noticed something.
 */
export async function writeSecurityEvent(c: Context<AppEnv>, input: SecurityEventInput): Promise<NewSecurityEvent | null> {
  const entry = securityEventEntry(c, input);
  c.get("logger").warn("security event", { type: input.type, severity: input.severity });
  try {
    await c.get("db").insert(securityEvents).values(entry);
  } catch (error) {
    c.get("logger").error("security event write failed", { type: input.type, error: String(error) });
    return null;
  }
  if (ALERTING_SEVERITIES.has(entry.severity)) {
    sendAlert(
      c.env,
      {
        title: `Security event: ${entry.type}`,
        severity: entry.severity,
        text: `${entry.severity} ${entry.type} from ${entry.ip ?? "unknown IP"}${entry.country ? ` (${entry.country})` : ""}${
          entry.actorId ? ` concerning ${entry.actorId}` : ""
        }. Review it at GET /v1/admin/security-events/${entry.id}.`,
        fingerprint: `security:${entry.type}:${entry.actorId ?? entry.ip ?? "unknown"}`,
        fields: {
          event: entry.id,
          type: entry.type,
          severity: entry.severity,
          ip: entry.ip ?? null,
          country: entry.country ?? null,
          actor: entry.actorId ?? null,
          apiKey: entry.apiKeyId ?? null,
          requestId: entry.requestId ?? null,
        },
      },
      (promise) => c.executionCtx.waitUntil(promise),
    );
  }
  return entry;
}

/**
 * Records a security event after the response (`waitUntil`), so detection never slows or fails the
 * request that triggered it.
 */
export function recordSecurityEvent(c: Context<AppEnv>, input: SecurityEventInput): void {
  c.executionCtx.waitUntil(writeSecurityEvent(c, input));
}

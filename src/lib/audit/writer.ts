import type { Context } from "hono";
import { clock } from "../clock";
import { newId } from "../ids";
import { redact } from "../security/redact";
import { auditLogs, type AuditAction, type NewAuditLog } from "../../db/schema";
import type { AppEnv } from "../../env";

type AuditStatus = "SUCCESS" | "FAILURE" | "PENDING";

export interface AuditInput {
  action: AuditAction;
  status?: AuditStatus;
  target?: { type: string; id?: string | null };
  /** Field-level change: pass the whole before/after rows; only the fields that differ are kept. */
  before?: Record<string, unknown> | null;
  after?: Record<string, unknown> | null;
  metadata?: Record<string, unknown>;
  /** Overrides the actor taken from the request (e.g. the user a failed login named). */
  actorId?: string | null;
}

type Changes = { before?: Record<string, unknown>; after?: Record<string, unknown> };

/** Only the fields whose values differ, with secrets redacted on both sides. */
export function diffChanges(
  before: Record<string, unknown> | null | undefined,
  after: Record<string, unknown> | null | undefined,
): Changes | null {
  if (!before && !after) return null;
  if (!before) return { after: redact(after!) };
  if (!after) return { before: redact(before) };
  const changedBefore: Record<string, unknown> = {};
  const changedAfter: Record<string, unknown> = {};
  for (const key of new Set([...Object.keys(before), ...Object.keys(after)])) {
    if (JSON.stringify(before[key]) !== JSON.stringify(after[key])) {
      changedBefore[key] = before[key];
      changedAfter[key] = after[key];
    }
  }
  return { before: redact(changedBefore), after: redact(changedAfter) };
}

/** The AuditLog row for an action taken in this request: actor, IP, geolocation and request id filled in. */
export function auditEntry(c: Context<AppEnv>, input: AuditInput): NewAuditLog {
  const ctx = c.get("requestContext");
  const auth = c.get("auth");
  const now = clock.now();
  const actorId = input.actorId !== undefined ? input.actorId : (auth?.userId ?? null);
  return {
    id: newId("audit", now),
    action: input.action,
    status: input.status ?? "SUCCESS",
    actorType: auth?.apiKeyId ? "api_key" : actorId ? "user" : "system",
    actorId,
    apiKeyId: auth?.apiKeyId ?? null,
    targetType: input.target?.type ?? null,
    targetId: input.target?.id ?? null,
    changes: diffChanges(input.before, input.after),
    ip: ctx.ip,
    userAgent: ctx.userAgent,
    country: ctx.country,
    city: ctx.city,
    colo: ctx.colo,
    requestId: ctx.requestId,
    clientRequestId: ctx.clientRequestId,
    durationMs: now - ctx.startedAt,
    metadata: input.metadata ? redact(input.metadata) : null,
    createdAt: now,
  };
}

/**
 * The insert statement for an audit row, not yet executed: put it in the same `db.batch([...])` as
 * the mutation it records so both land or neither does.
 */
export function auditInsert(c: Context<AppEnv>, input: AuditInput) {
  return c.get("db").insert(auditLogs).values(auditEntry(c, input));
}

/** Writes an audit row on its own, for actions with no mutation to pair with (failed logins, reads of note). */
export async function writeAudit(c: Context<AppEnv>, input: AuditInput): Promise<void> {
  await auditInsert(c, input);
}

/** An audit row written by a job or cron, where there is no request: the actor is the system. */
export function systemAuditEntry(input: AuditInput & { requestId?: string }): NewAuditLog {
  const now = clock.now();
  return {
    id: newId("audit", now),
    action: input.action,
    status: input.status ?? "SUCCESS",
    actorType: input.actorId ? "user" : "system",
    actorId: input.actorId ?? null,
    apiKeyId: null,
    targetType: input.target?.type ?? null,
    targetId: input.target?.id ?? null,
    changes: diffChanges(input.before, input.after),
    ip: null,
    userAgent: null,
    country: null,
    city: null,
    colo: null,
    requestId: input.requestId ?? null,
    durationMs: null,
    metadata: input.metadata ? redact(input.metadata) : null,
    createdAt: now,
  };
}

import { iso } from "../clock";

/** An audit row as D1 returns it (snake_case columns, JSON as text). */
export interface AuditRow {
  id: string;
  action: string;
  status: string;
  actor_type: string;
  actor_id: string | null;
  api_key_id: string | null;
  target_type: string | null;
  target_id: string | null;
  changes: string | null;
  ip: string | null;
  user_agent: string | null;
  country: string | null;
  city: string | null;
  colo: string | null;
  request_id: string | null;
  client_request_id: string | null;
  duration_ms: number | null;
  metadata: string | null;
  created_at: number;
}

/** The columns every seal hashes, in their fixed order (the export writes them too). */
export const AUDIT_COLUMNS = [
  "id",
  "action",
  "status",
  "actor_type",
  "actor_id",
  "api_key_id",
  "target_type",
  "target_id",
  "changes",
  "ip",
  "user_agent",
  "country",
  "city",
  "colo",
  "request_id",
  "duration_ms",
  "metadata",
  "created_at",
] as const satisfies readonly (keyof AuditRow)[];

/**
 * Columns added after sealing began: a row's hash takes each one (name, then value) only when it is
 * set, so rows sealed before the column existed keep their hash and the chain still verifies.
 */
export const AUDIT_LATER_COLUMNS = ["client_request_id"] as const satisfies readonly (keyof AuditRow)[];

export const AUDIT_SELECT = [...AUDIT_COLUMNS, ...AUDIT_LATER_COLUMNS].join(", ");

function parseJson(text: string | null): Record<string, unknown> | null {
  if (text === null) return null;
  try {
    return JSON.parse(text) as Record<string, unknown>;
  } catch {
    return { unparsable: text };
  }
}

export function presentAuditLog(row: AuditRow) {
  return {
    id: row.id,
    action: row.action,
    status: row.status,
    actorType: row.actor_type,
    actorId: row.actor_id,
    apiKeyId: row.api_key_id,
    targetType: row.target_type,
    targetId: row.target_id,
    changes: parseJson(row.changes),
    ip: row.ip,
    userAgent: row.user_agent,
    country: row.country,
    city: row.city,
    colo: row.colo,
    requestId: row.request_id,
    clientRequestId: row.client_request_id,
    durationMs: row.duration_ms,
    metadata: parseJson(row.metadata),
    createdAt: iso(row.created_at),
  };
}

export interface FieldChange {
  field: string;
  kind: "added" | "removed" | "changed";
  before: unknown;
  after: unknown;
}

/** The field-level diff of a row's stored before/after snapshots, one entry per field, sorted. */
export function fieldDiff(changes: Record<string, unknown> | null): FieldChange[] {
  const before = (changes?.before ?? null) as Record<string, unknown> | null;
  const after = (changes?.after ?? null) as Record<string, unknown> | null;
  const fields = new Set([...Object.keys(before ?? {}), ...Object.keys(after ?? {})]);
  return [...fields].sort().map((field) => {
    const hadBefore = before !== null && Object.hasOwn(before, field);
    const hasAfter = after !== null && Object.hasOwn(after, field);
    return {
      field,
      kind: hadBefore && hasAfter ? "changed" : hasAfter ? "added" : "removed",
      before: hadBefore ? before![field] : null,
      after: hasAfter ? after![field] : null,
    };
  });
}

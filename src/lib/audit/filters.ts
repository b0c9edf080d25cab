import { z } from "zod";
import { containsTextSql } from "../../db/contains";
import { ACTOR_TYPES, AUDIT_ACTIONS, AUDIT_STATUSES } from "../../db/schema";
import { MAX_PAGE_SIZE, DEFAULT_PAGE_SIZE } from "../validation/pagination";
import { plainText } from "../validation/text";

const id = z.string().trim().min(1).max(64);
const instant = z.iso.datetime({ offset: true }).transform((value) => Date.parse(value));

/** Filters shared by the search, the export and (from/to) the verifier. Every one is optional. */
const auditFilterShape = {
  actorId: id.optional(),
  actorType: z.enum(ACTOR_TYPES).optional(),
  apiKeyId: id.optional(),
  action: z.enum(AUDIT_ACTIONS).optional(),
  targetType: z.string().trim().min(1).max(64).optional(),
  targetId: id.optional(),
  status: z.enum(AUDIT_STATUSES).optional(),
  ip: z.string().trim().min(1).max(64).optional(),
  country: z
    .string()
    .regex(/^[A-Za-z]{2}$/, "Use a two-letter country code")
    .transform((value) => value.toUpperCase())
    .optional(),
  requestId: z.string().trim().min(1).max(128).optional(),
  clientRequestId: z.string().trim().min(1).max(128).optional(),
  from: instant.optional(),
  to: instant.optional(),
  q: plainText({ max: 200 }).optional(),
};

const checkRange = (value: { from?: number; to?: number }, ctx: z.RefinementCtx) => {
  if (value.from !== undefined && value.to !== undefined && value.from >= value.to) {
    ctx.addIssue({ code: "custom", path: ["to"], message: "`to` must be after `from`" });
  }
};

export const auditSearchQuery = z
  .strictObject({
    ...auditFilterShape,
    limit: z.coerce.number().int().min(1).max(MAX_PAGE_SIZE).default(DEFAULT_PAGE_SIZE),
    cursor: z.string().max(512).optional(),
  })
  .superRefine(checkRange);

const EXPORT_FORMATS = ["csv", "json", "ndjson"] as const;
export type ExportFormat = (typeof EXPORT_FORMATS)[number];

export const auditExportQuery = z
  .strictObject({ ...auditFilterShape, format: z.enum(EXPORT_FORMATS).default("csv") })
  .superRefine(checkRange);

/** The same filters as a background export's parameters (POST /v1/exports, kind `audit_logs`). */
export const auditExportParams = z.strictObject(auditFilterShape).superRefine(checkRange);

export type AuditFilters = { [K in keyof typeof auditFilterShape]?: z.output<(typeof auditFilterShape)[K]> };

const EQUALITY_COLUMNS = {
  actorId: "actor_id",
  actorType: "actor_type",
  apiKeyId: "api_key_id",
  action: "action",
  targetType: "target_type",
  targetId: "target_id",
  status: "status",
  ip: "ip",
  country: "country",
  requestId: "request_id",
  clientRequestId: "client_request_id",
} as const satisfies Partial<Record<keyof AuditFilters, string>>;

/** Free-text search looks in these columns. */
const SEARCHED_COLUMNS = [
  "action",
  "target_type",
  "target_id",
  "actor_id",
  "request_id",
  "client_request_id",
  "user_agent",
  "metadata",
  "changes",
];

export interface SqlWhere {
  sql: string;
  params: (string | number)[];
}

/**
 * The filters as a parameterised SQL condition over audit_logs (raw D1, shared by the search, the
 * streamed export and tests). Values are always bound, never spliced.
 */
export function auditWhere(filters: AuditFilters): SqlWhere {
  const parts: string[] = [];
  const params: (string | number)[] = [];
  for (const [key, column] of Object.entries(EQUALITY_COLUMNS) as [keyof typeof EQUALITY_COLUMNS, string][]) {
    const value = filters[key];
    if (value === undefined) continue;
    params.push(value);
    parts.push(`${column} = ?`);
  }
  if (filters.from !== undefined) {
    params.push(filters.from);
    parts.push("created_at >= ?");
  }
  if (filters.to !== undefined) {
    params.push(filters.to);
    parts.push("created_at < ?");
  }
  if (filters.q !== undefined) {
    parts.push(`(${SEARCHED_COLUMNS.map(containsTextSql).join(" OR ")})`);
    for (let i = 0; i < SEARCHED_COLUMNS.length; i++) params.push(filters.q);
  }
  return { sql: parts.length > 0 ? parts.join(" AND ") : "1 = 1", params };
}

/** Keyset cursor over (created_at, id): stable even when many rows share a millisecond. */
export const auditCursor = z.object({ c: z.number().int(), i: z.string().max(64) });

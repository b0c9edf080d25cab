import { Hono } from "hono";
import { z } from "zod";
import { auditExportStream, EXPORT_CONTENT_TYPES } from "../lib/audit/export";
import { auditCursor, auditExportQuery, auditSearchQuery, auditWhere } from "../lib/audit/filters";
import { AUDIT_SELECT, fieldDiff, presentAuditLog, type AuditRow } from "../lib/audit/present";
import { MAX_VERIFY_PERIODS, verifyAuditTrail } from "../lib/audit/verify";
import { writeAudit } from "../lib/audit/writer";
import { clock } from "../lib/clock";
import { ApiError } from "../lib/errors";
import { decodeCursor, toPage } from "../lib/validation/pagination";
import { validate } from "../lib/validation/validate";
import { requireScope } from "../middleware/auth";
import { rateLimit } from "../middleware/rate-limit";
import type { AppEnv } from "../env";
import { operationsOf } from "../openapi/describe";
import { auditLogDetailSchema, auditLogSchema, auditVerifyReportSchema } from "../openapi/schemas/audit-log";
import { page } from "../openapi/schemas/primitives";

const HOUR_MS = 3_600_000;
const instant = z.iso.datetime({ offset: true }).transform((value) => Date.parse(value));
const verifyQuery = z.strictObject({ from: instant.optional(), to: instant.optional() });
const auditIdParam = z.object({ id: z.string().regex(/^aud_[0-9A-HJKMNP-TV-Z]{26}$/, "Not an audit log id") });

const describe = operationsOf("Admin: audit trail");

/** The audit trail for operators and compliance: search, detail with diff, streamed export, verification. */
export const adminAuditLogRoutes = new Hono<AppEnv>()
  .get(
    "/",
    describe({ summary: "Search the audit trail", responses: { 200: ["A page of entries, newest first", page(auditLogSchema)] } }),
    rateLimit({ policy: "api" }),
    requireScope("audit:read"),
    validate("query", auditSearchQuery),
    async (c) => {
      const { limit, cursor, ...filters } = c.req.valid("query");
      const where = auditWhere(filters);
      const after = cursor ? decodeCursor(cursor, auditCursor) : null;
      const keyset = after ? " AND (created_at < ? OR (created_at = ? AND id < ?))" : "";
      const { results } = await c.var.d1
        .prepare(`SELECT ${AUDIT_SELECT} FROM audit_logs WHERE ${where.sql}${keyset} ORDER BY created_at DESC, id DESC LIMIT ?`)
        .bind(...where.params, ...(after ? [after.c, after.c, after.i] : []), limit + 1)
        .all<AuditRow>();
      return c.json(toPage(results, limit, (row) => ({ c: row.created_at, i: row.id }), presentAuditLog));
    },
  )

  .get(
    "/export",
    describe({
      summary: "Export the audit trail (streamed)",
      responses: {
        200: {
          description: "The entries as an attachment, in the requested format",
          content: { "text/csv": {}, "application/json": { schema: { type: "array" } }, "application/x-ndjson": {} },
        },
      },
    }),
    rateLimit({ policy: "export" }),
    requireScope("audit:read"),
    validate("query", auditExportQuery),
    async (c) => {
      const { format, ...requested } = c.req.valid("query");
      // A fixed upper bound: rows written while the export streams (its own audit row included) stay out.
      const filters = { ...requested, to: Math.min(requested.to ?? Number.MAX_SAFE_INTEGER, clock.now()) };
      await writeAudit(c, {
        action: "audit.exported",
        target: { type: "audit_log" },
        metadata: {
          format,
          filters: Object.fromEntries(
            Object.entries(filters).map(([key, value]) => [
              key,
              key === "from" || key === "to" ? new Date(value as number).toISOString() : value,
            ]),
          ),
        },
      });
      const stamp = new Date(filters.to).toISOString().replace(/[:.]/g, "-");
      return new Response(auditExportStream(c.var.d1, filters, format), {
        headers: {
          "Content-Type": EXPORT_CONTENT_TYPES[format],
          "Content-Disposition": `attachment; filename="audit-logs-${stamp}.${format}"`,
          "Cache-Control": "no-store",
          "X-Content-Type-Options": "nosniff",
        },
      });
    },
  )

  .get(
    "/verify",
    describe({
      summary: "Verify the audit trail against its seals",
      responses: { 200: ["The verification report", auditVerifyReportSchema] },
    }),
    rateLimit({ policy: "api" }),
    requireScope("audit:read"),
    validate("query", verifyQuery),
    async (c) => {
      const query = c.req.valid("query");
      const to = query.to ?? clock.now();
      const from = query.from ?? to - 24 * HOUR_MS;
      if (from >= to) throw ApiError.validation([{ path: "to", message: "`to` must be after `from`" }]);
      if (to - from > MAX_VERIFY_PERIODS * HOUR_MS) {
        throw ApiError.validation([{ path: "from", message: `Verify at most ${MAX_VERIFY_PERIODS / 24} days at a time` }]);
      }
      c.header("Cache-Control", "no-store");
      return c.json(await verifyAuditTrail(c.var.d1, from, to));
    },
  )

  .get(
    "/:id",
    describe({
      summary: "Read one audit entry with its field diff",
      responses: { 200: ["The entry", auditLogDetailSchema] },
      errors: ["not_found"],
    }),
    rateLimit({ policy: "api" }),
    requireScope("audit:read"),
    validate("param", auditIdParam),
    async (c) => {
      const row = await c.var.d1
        .prepare(`SELECT ${AUDIT_SELECT} FROM audit_logs WHERE id = ?`)
        .bind(c.req.valid("param").id)
        .first<AuditRow>();
      if (!row) throw ApiError.notFound("audit log entry");
      const entry = presentAuditLog(row);
      return c.json({ auditLog: { ...entry, diff: fieldDiff(entry.changes) } });
    },
  );

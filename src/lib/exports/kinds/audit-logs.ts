import { auditExportStream, EXPORT_CHUNK_ROWS } from "../../audit/export";
import { auditExportParams, auditWhere, type ExportFormat } from "../../audit/filters";
import { ApiError } from "../../errors";
import { defineExportKind } from "../kind";

/**
 * The audit trail over any range, as the streamed `GET /v1/admin/audit-logs/export` writes it, but in
 * the background: ranges too large to download in one request. Entries written after the export was
 * requested (its own audit row included) stay out.
 */
export const auditLogsExport = defineExportKind({
  summary: "Audit trail (admin): entries matching the audit filters, oldest first",
  formats: ["csv", "json", "ndjson"],
  roles: ["admin"],
  scope: "audit:read",
  params: auditExportParams,
  async authorize(_db, requester) {
    if (requester.role !== "admin") throw new ApiError("forbidden", "Only admins export the audit trail.");
    return "audit-logs";
  },
  async write(run, params) {
    const filters = { ...params, to: Math.min(params.to ?? Number.MAX_SAFE_INTEGER, run.row.createdAt) };
    const where = auditWhere(filters);
    const total =
      (
        await run.d1
          .prepare(`SELECT count(*) AS n FROM audit_logs WHERE ${where.sql}`)
          .bind(...where.params)
          .first<{ n: number }>()
      )?.n ?? 0;
    // The request was checked against this kind's formats.
    const format = run.row.format as ExportFormat;
    const reader = auditExportStream(run.d1, filters, format).getReader();
    let chunks = 0;
    if (format === "csv" && run.row.byteOrderMark) await run.write(new TextEncoder().encode("\uFEFF"));
    for (;;) {
      const { done, value } = await reader.read();
      if (done) break;
      await run.write(value);
      // The stream yields its header (or opening bracket), then one chunk per page of rows.
      chunks++;
      await run.progress(Math.min(total, Math.max(0, chunks - 1) * EXPORT_CHUNK_ROWS), total);
    }
    return total;
  },
});

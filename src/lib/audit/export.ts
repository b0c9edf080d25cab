import type { D1Queryable } from "../../db";
import { csvRow } from "../csv";
import { auditWhere, type AuditFilters, type ExportFormat } from "./filters";
import { AUDIT_SELECT, presentAuditLog, type AuditRow } from "./present";

/** Rows read per D1 query; the Worker holds at most one chunk (plus the stream's small buffer). */
export const EXPORT_CHUNK_ROWS = 1000;

/** The CSV's columns in order: one list, so the header can never drift from the values under it. */
const CSV_COLUMNS = [
  "id",
  "created_at",
  "action",
  "status",
  "actor_type",
  "actor_id",
  "api_key_id",
  "target_type",
  "target_id",
  "ip",
  "country",
  "city",
  "colo",
  "user_agent",
  "request_id",
  "client_request_id",
  "duration_ms",
  "changes",
  "metadata",
] as const satisfies readonly (keyof AuditRow)[];

function csvRecord(row: AuditRow): string {
  return csvRow(CSV_COLUMNS.map((column) => (column === "created_at" ? new Date(row.created_at).toISOString() : row[column])));
}

export const EXPORT_CONTENT_TYPES: Record<ExportFormat, string> = {
  csv: "text/csv; charset=utf-8; header=present",
  json: "application/json; charset=utf-8",
  ndjson: "application/x-ndjson; charset=utf-8",
};

/**
 * The matching audit rows, oldest first, as a byte stream produced on demand: each pull reads the
 * next chunk by keyset (created_at, id) and encodes it, so memory stays flat however many rows match.
 */
export function auditExportStream(d1: D1Queryable, filters: AuditFilters, format: ExportFormat): ReadableStream<Uint8Array> {
  const where = auditWhere(filters);
  const encoder = new TextEncoder();
  let after: { c: number; i: string } | null = null;
  let written = 0;
  let finished = false;

  const statement = (cursor: { c: number; i: string } | null) =>
    cursor
      ? d1
          .prepare(
            `SELECT ${AUDIT_SELECT} FROM audit_logs WHERE ${where.sql} AND (created_at > ? OR (created_at = ? AND id > ?))
             ORDER BY created_at, id LIMIT ${EXPORT_CHUNK_ROWS}`,
          )
          .bind(...where.params, cursor.c, cursor.c, cursor.i)
      : d1
          .prepare(`SELECT ${AUDIT_SELECT} FROM audit_logs WHERE ${where.sql} ORDER BY created_at, id LIMIT ${EXPORT_CHUNK_ROWS}`)
          .bind(...where.params);

  return new ReadableStream<Uint8Array>(
    {
      start(controller) {
        if (format === "csv") controller.enqueue(encoder.encode(csvRow(CSV_COLUMNS)));
        if (format === "json") controller.enqueue(encoder.encode("["));
      },
      async pull(controller) {
        if (finished) return;
        const { results } = await statement(after).all<AuditRow>();
        let text = "";
        for (const row of results) {
          if (format === "csv") text += csvRecord(row);
          else if (format === "ndjson") text += JSON.stringify(presentAuditLog(row)) + "\n";
          else text += (written > 0 ? ",\n" : "\n") + JSON.stringify(presentAuditLog(row));
          written++;
        }
        if (text) controller.enqueue(encoder.encode(text));
        const last = results.at(-1);
        if (!last || results.length < EXPORT_CHUNK_ROWS) {
          finished = true;
          if (format === "json") controller.enqueue(encoder.encode(written > 0 ? "\n]\n" : "]\n"));
          controller.close();
          return;
        }
        after = { c: last.created_at, i: last.id };
      },
    },
    { highWaterMark: 1 },
  );
}

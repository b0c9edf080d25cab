import type { ExportFormat } from "../../db/schema";

/** The media type and file extension of each export format. */
export const EXPORT_FILE_TYPES: Record<ExportFormat, { contentType: string; extension: string }> = {
  pdf: { contentType: "application/pdf", extension: "pdf" },
  csv: { contentType: "text/csv; charset=utf-8; header=present", extension: "csv" },
  xlsx: { contentType: "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet", extension: "xlsx" },
  json: { contentType: "application/json; charset=utf-8", extension: "json" },
  ndjson: { contentType: "application/x-ndjson; charset=utf-8", extension: "ndjson" },
};

/** A file name safe in any header and file system: ASCII letters, digits, dots, dashes. */
export function exportFilename(base: string, exportId: string, format: ExportFormat): string {
  const slug =
    base
      .normalize("NFKD")
      .replace(/[^A-Za-z0-9]+/g, "-")
      .replace(/^-+|-+$/g, "")
      .toLowerCase()
      .slice(0, 60) || "export";
  return `${slug}-${exportId.slice(-8).toLowerCase()}.${EXPORT_FILE_TYPES[format].extension}`;
}

/** `Content-Disposition` of a download: the ASCII name, and the same as RFC 5987 for clients that read it. */
export const attachment = (filename: string) => `attachment; filename="${filename}"; filename*=UTF-8''${encodeURIComponent(filename)}`;

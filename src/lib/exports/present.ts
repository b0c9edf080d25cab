import type { Export, Job } from "../../db/schema";
import { iso, isoOrNull } from "../clock";

/** An export as its owner sees it; progress is its job's while it runs. */
export function presentExport(row: Export, job: Pick<Job, "progress" | "progressMessage"> | null) {
  return {
    id: row.id,
    kind: row.kind,
    format: row.format,
    params: row.params,
    byteOrderMark: row.byteOrderMark,
    status: row.status,
    progress: row.status === "COMPLETED" ? 100 : (job?.progress ?? 0),
    progressMessage: row.status === "RUNNING" ? (job?.progressMessage ?? null) : null,
    filename: row.filename,
    contentType: row.contentType,
    sizeBytes: row.sizeBytes,
    rowCount: row.rowCount,
    error: row.error,
    jobId: row.jobId,
    createdAt: iso(row.createdAt),
    startedAt: isoOrNull(row.startedAt),
    completedAt: isoOrNull(row.completedAt),
    expiresAt: isoOrNull(row.expiresAt),
  };
}

import { deleteInChunks, type DeleteTarget } from "../../db/delete-in-chunks";
import { DAY_MS } from "../clock";
import { sealClosedPeriods } from "./seal";

/** Periods pruned per run; a backlog continues on the next daily run. */
const MAX_PERIODS_PER_RUN = 24 * 31;

export const AUDIT_PERIOD_ROWS: DeleteTarget = { table: "audit_logs", where: "created_at >= ? AND created_at < ?" };

/**
 * Audit retention. Seals first (so nothing is deleted that was never sealed), then, for each sealed
 * period entirely older than the retention cut-off: deletes its rows in chunks, drops its manifest
 * and marks the seal pruned. The seal rows stay, so the hash chain still verifies across the gap.
 */
export async function pruneAuditLog(d1: D1Database, now: number, retentionDays: number) {
  const sealing = await sealClosedPeriods(d1, now, Number.MAX_SAFE_INTEGER);
  const cutoff = now - retentionDays * DAY_MS;
  const { results: seals } = await d1
    .prepare(
      `SELECT id, period_start, period_end FROM audit_seals WHERE pruned_at IS NULL AND period_end <= ?
       ORDER BY period_start LIMIT ${MAX_PERIODS_PER_RUN}`,
    )
    .bind(cutoff)
    .all<{ id: string; period_start: number; period_end: number }>();
  let rowsDeleted = 0;
  let periodsPruned = 0;
  for (const seal of seals) {
    const period = await deleteInChunks(d1, AUDIT_PERIOD_ROWS, [seal.period_start, seal.period_end]);
    rowsDeleted += period.deleted;
    // A period is marked pruned only once it is empty; the next run finishes one cut short here.
    if (!period.complete) break;
    periodsPruned++;
    await d1.batch([
      d1.prepare("DELETE FROM audit_seal_manifests WHERE seal_id = ?").bind(seal.id),
      d1.prepare("UPDATE audit_seals SET pruned_at = ? WHERE id = ?").bind(now, seal.id),
    ]);
  }
  return { sealed: sealing.sealed, periodsPruned, rowsDeleted, cutoff: new Date(cutoff).toISOString() };
}

import { sealClosedPeriods } from "./seal";

const DAY_MS = 86_400_000;
const DELETE_CHUNK = 5000;
/** Periods pruned per run; a backlog continues on the next daily run. */
const MAX_PERIODS_PER_RUN = 24 * 31;

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
  for (const seal of seals) {
    for (;;) {
      const result = await d1
        .prepare(
          "DELETE FROM audit_logs WHERE id IN (SELECT id FROM audit_logs WHERE created_at >= ? AND created_at < ? LIMIT ?)",
        )
        .bind(seal.period_start, seal.period_end, DELETE_CHUNK)
        .run();
      rowsDeleted += result.meta.changes;
      if (result.meta.changes < DELETE_CHUNK) break;
    }
    await d1.batch([
      d1.prepare("DELETE FROM audit_seal_manifests WHERE seal_id = ?").bind(seal.id),
      d1.prepare("UPDATE audit_seals SET pruned_at = ? WHERE id = ?").bind(now, seal.id),
    ]);
  }
  return { sealed: sealing.sealed, periodsPruned: seals.length, rowsDeleted, cutoff: new Date(cutoff).toISOString() };
}

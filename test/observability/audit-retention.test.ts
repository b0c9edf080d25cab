import { env } from "cloudflare:workers";
import { describe, expect, it } from "vitest";
import { pruneAuditLog } from "../../src/lib/audit/retention";
import { verifyAuditTrail } from "../../src/lib/audit/verify";
import { RETENTION_CRON, runCron } from "../../workers/cron";
import { clock } from "../../src/lib/clock";
import { seedAudit } from "./seed";

const HOUR = 3_600_000;
const DAY = 86_400_000;

describe("audit retention", () => {
  it("seals before it deletes, and the chain still verifies across pruned periods", async () => {
    const now = clock.now();
    const old = Math.floor((now - 40 * DAY) / HOUR) * HOUR;
    const recent = Math.floor((now - 2 * DAY) / HOUR) * HOUR;
    const [oldRow] = await seedAudit([
      { targetId: "old-1", createdAt: old + 1000 },
      { targetId: "old-2", createdAt: old + 2000 },
    ]);
    const [recentRow] = await seedAudit([{ targetId: "recent", createdAt: recent + 1000 }]);

    const result = await pruneAuditLog(env.DB, now, 30);
    expect(result.sealed).toBeGreaterThan(0);
    expect(result.rowsDeleted).toBe(2);
    const remaining = await env.DB.prepare("SELECT id FROM audit_logs WHERE id IN (?, ?)")
      .bind(oldRow!.id, recentRow!.id)
      .all<{ id: string }>();
    expect(remaining.results.map((row) => row.id)).toEqual([recentRow!.id]);
    const oldSeal = await env.DB.prepare("SELECT id, row_count, pruned_at FROM audit_seals WHERE period_start = ?").bind(old).first<{
      id: string;
      row_count: number;
      pruned_at: number | null;
    }>();
    expect(oldSeal).toMatchObject({ row_count: 2, pruned_at: now });
    const manifest = await env.DB.prepare("SELECT COUNT(*) AS n FROM audit_seal_manifests WHERE seal_id = ?")
      .bind(oldSeal!.id)
      .first<{ n: number }>();
    expect(manifest!.n).toBe(0);

    const report = await verifyAuditTrail(env.DB, old - HOUR, now);
    expect(report).toMatchObject({ ok: true, findings: [] });
    expect(report.prunedPeriods).toBeGreaterThan(0);

    const [slipped] = await seedAudit([{ targetId: "slipped-in", createdAt: old + 5000 }]);
    const tampered = await verifyAuditTrail(env.DB, old - HOUR, now);
    expect(tampered.findings).toEqual([expect.objectContaining({ kind: "inserted", firstBadRowId: slipped!.id })]);
    await env.DB.prepare("DELETE FROM audit_logs WHERE id = ?").bind(slipped!.id).run();

    // The daily cron runs it with AUDIT_RETENTION_DAYS (365 by default): nothing this young goes.
    const outcome = await runCron(RETENTION_CRON, env);
    expect(outcome["prune-audit-log"]).toMatchObject({ rowsDeleted: 0 });
    expect(outcome["prune-metrics"]).toMatchObject({ rawDeleted: expect.any(Number) });
  });
});

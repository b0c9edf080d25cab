import { env } from "cloudflare:workers";
import { beforeAll, describe, expect, it } from "vitest";
import type { NewAuditLog } from "../../src/db/schema";
import { MAINTENANCE_CRON, runCron } from "../../workers/cron";
import { createUser, type TestUser } from "../helpers/auth";
import { call, problemOf } from "../helpers/http";
import { seedAudit } from "./seed";

const HOUR = 3_600_000;
const iso = (ms: number) => new Date(ms).toISOString();

interface Finding {
  sealId: string;
  periodStart: string;
  kind: string;
  firstBadRowId: string | null;
  edited: number;
  deleted: number;
  inserted: number;
}
interface Report {
  ok: boolean;
  periodsChecked: number;
  rowsChecked: number;
  sealedThrough: string | null;
  findings: Finding[];
}

/** Three hours, five hours ago, with rows; sealed by the real cron tick. */
const start = Math.floor(Date.now() / HOUR) * HOUR - 5 * HOUR;
let admin: TestUser;
let rows: NewAuditLog[];

async function verify(): Promise<Report> {
  const res = await call(`/v1/admin/audit-logs/verify?from=${iso(start - HOUR)}&to=${iso(Date.now())}`, { headers: admin.headers });
  expect(res.status, await res.clone().text()).toBe(200);
  return (await res.json()) as Report;
}

const row = (hour: number, i: number) => rows[hour * 4 + i]!;

beforeAll(async () => {
  admin = await createUser({ role: "admin" });
  rows = await seedAudit(
    [0, 1, 2].flatMap((hour) =>
      [0, 1, 2, 3].map((i) => ({
        action: "test.updated" as const,
        targetId: `h${hour}r${i}`,
        createdAt: start + hour * HOUR + i * 60_000,
      })),
    ),
  );
  const outcome = await runCron(MAINTENANCE_CRON, env);
  expect(outcome["seal-audit-log"]).toMatchObject({ sealed: expect.any(Number) });
});

describe("audit seals", () => {
  it("seal every closed hour into one chain that verifies", async () => {
    const seals = await env.DB.prepare(
      "SELECT period_start, period_end, row_count, hash, previous_hash FROM audit_seals ORDER BY period_start",
    ).all<{
      period_start: number;
      period_end: number;
      row_count: number;
      hash: string;
      previous_hash: string | null;
    }>();
    const withRows = seals.results.filter((seal) => seal.row_count > 0);
    expect(withRows.map((seal) => [seal.period_start, seal.row_count])).toEqual([
      [start, 4],
      [start + HOUR, 4],
      [start + 2 * HOUR, 4],
    ]);
    for (let i = 1; i < seals.results.length; i++) {
      expect(seals.results[i]!.previous_hash).toBe(seals.results[i - 1]!.hash);
      expect(seals.results[i]!.period_start).toBe(seals.results[i - 1]!.period_end);
    }
    const report = await verify();
    expect(report).toMatchObject({ ok: true, findings: [] });
    expect(report.rowsChecked).toBeGreaterThanOrEqual(12);
    // A second tick seals nothing new.
    expect((await runCron(MAINTENANCE_CRON, env))["seal-audit-log"]).toMatchObject({ sealed: 0 });
  });

  it("catch an edited row and name it", async () => {
    const target = row(0, 2);
    await env.DB.prepare("UPDATE audit_logs SET actor_id = 'usr_framed' WHERE id = ?").bind(target.id).run();
    const report = await verify();
    expect(report.ok).toBe(false);
    expect(report.findings).toEqual([
      expect.objectContaining({ kind: "edited", firstBadRowId: target.id, periodStart: iso(start), edited: 1, deleted: 0, inserted: 0 }),
    ]);
    await env.DB.prepare("UPDATE audit_logs SET actor_id = NULL WHERE id = ?").bind(target.id).run();
    expect((await verify()).ok).toBe(true);
  });

  it("catch a deleted row and name it", async () => {
    const target = row(1, 1);
    const saved = await env.DB.prepare("SELECT * FROM audit_logs WHERE id = ?").bind(target.id).first<Record<string, unknown>>();
    await env.DB.prepare("DELETE FROM audit_logs WHERE id = ?").bind(target.id).run();
    const report = await verify();
    expect(report.findings).toEqual([
      expect.objectContaining({ kind: "deleted", firstBadRowId: target.id, periodStart: iso(start + HOUR), deleted: 1 }),
    ]);
    const columns = Object.keys(saved!);
    await env.DB.prepare(`INSERT INTO audit_logs (${columns.join(", ")}) VALUES (${columns.map(() => "?").join(", ")})`)
      .bind(...columns.map((column) => saved![column]))
      .run();
    expect((await verify()).ok).toBe(true);
  });

  it("catch an inserted (backdated) row and name it, and an edit before it comes first", async () => {
    const [forged] = await seedAudit([{ action: "user.role_changed", targetId: "forged", createdAt: start + 2 * HOUR + 90_000 }]);
    let report = await verify();
    expect(report.findings).toEqual([
      expect.objectContaining({ kind: "inserted", firstBadRowId: forged!.id, periodStart: iso(start + 2 * HOUR), inserted: 1 }),
    ]);
    const earlier = row(2, 0);
    await env.DB.prepare("UPDATE audit_logs SET status = 'FAILURE' WHERE id = ?").bind(earlier.id).run();
    report = await verify();
    expect(report.findings[0]).toMatchObject({ kind: "edited", firstBadRowId: earlier.id, edited: 1, inserted: 1 });
    await env.DB.prepare("UPDATE audit_logs SET status = 'SUCCESS' WHERE id = ?").bind(earlier.id).run();
    await env.DB.prepare("DELETE FROM audit_logs WHERE id = ?").bind(forged!.id).run();
    expect((await verify()).ok).toBe(true);
  });

  it("catch a rewritten seal as a broken chain", async () => {
    const seal = await env.DB.prepare("SELECT id, hash FROM audit_seals WHERE period_start = ?")
      .bind(start + HOUR)
      .first<{ id: string; hash: string }>();
    await env.DB.prepare("UPDATE audit_seals SET hash = ? WHERE id = ?").bind("0".repeat(64), seal!.id).run();
    const kinds = (await verify()).findings.map((finding) => finding.kind).sort();
    expect(kinds).toEqual(["chain_broken", "seal_mismatch"]);
    await env.DB.prepare("UPDATE audit_seals SET hash = ? WHERE id = ?").bind(seal!.hash, seal!.id).run();
    expect((await verify()).ok).toBe(true);
  });

  it("validates the range and needs audit:read", async () => {
    const tooLong = await call(`/v1/admin/audit-logs/verify?from=${iso(0)}&to=${iso(Date.now())}`, { headers: admin.headers });
    expect((await problemOf(tooLong)).code).toBe("validation_failed");
    const student = await createUser();
    expect((await problemOf(await call("/v1/admin/audit-logs/verify", { headers: student.headers }))).code).toBe("insufficient_scope");
  });
});

import type { D1Queryable } from "../../db";
import type { AuditRow } from "./present";
import { digestPeriod, MANIFEST_HASH_CHARS } from "./seal";

type TamperKind = "edited" | "deleted" | "inserted" | "chain_broken" | "seal_mismatch";

interface TamperFinding {
  sealId: string;
  periodStart: string;
  periodEnd: string;
  kind: TamperKind;
  /** The first row (in seal order) that differs from what was sealed; null for chain-level findings. */
  firstBadRowId: string | null;
  detail: string;
  edited: number;
  deleted: number;
  inserted: number;
}

export interface VerifyReport {
  ok: boolean;
  from: string;
  to: string;
  periodsChecked: number;
  prunedPeriods: number;
  rowsChecked: number;
  /** Rows after this instant are not sealed yet and so not covered by this report. */
  sealedThrough: string | null;
  findings: TamperFinding[];
}

interface Seal {
  id: string;
  period_start: number;
  period_end: number;
  row_count: number;
  hash: string;
  previous_hash: string | null;
  pruned_at: number | null;
}

/** Periods one verification may cover (31 days of hourly seals). */
export const MAX_VERIFY_PERIODS = 31 * 24;

const iso = (ms: number) => new Date(ms).toISOString();

async function manifestOf(d1: D1Queryable, sealId: string): Promise<Map<string, { index: number; hash: string }>> {
  const { results } = await d1
    .prepare("SELECT entries FROM audit_seal_manifests WHERE seal_id = ? ORDER BY chunk")
    .bind(sealId)
    .all<{ entries: string }>();
  const map = new Map<string, { index: number; hash: string }>();
  for (const { entries } of results) {
    for (const line of entries.split("\n")) {
      const [id, hash] = line.split(" ");
      if (id && hash) map.set(id, { index: map.size, hash });
    }
  }
  return map;
}

/**
 * Recomputes one unpruned period. Its hash matching the seal settles it; otherwise the manifest
 * (what the seal saw, row by row) names what changed. The earliest discrepancy in seal order is the
 * first bad row: before it, both orders agree, so comparing positions across the two lists is fair.
 */
async function checkPeriod(d1: D1Queryable, seal: Seal): Promise<{ finding: TamperFinding | null; rows: number }> {
  const base = { sealId: seal.id, periodStart: iso(seal.period_start), periodEnd: iso(seal.period_end) };
  const quick = await digestPeriod(d1, seal.period_start, seal.period_end, seal.previous_hash);
  if (quick.hash === seal.hash) return { finding: null, rows: quick.rowCount };

  const manifest = await manifestOf(d1, seal.id);
  const seen = new Set<string>();
  let edited = 0;
  let inserted = 0;
  let first: { position: number; id: string; kind: TamperKind } | null = null;
  const note = (position: number, id: string, kind: TamperKind) => {
    if (!first || position < first.position) first = { position, id, kind };
  };
  await digestPeriod(d1, seal.period_start, seal.period_end, seal.previous_hash, (id, hash, index) => {
    const sealed = manifest.get(id);
    if (!sealed) {
      inserted++;
      note(index, id, "inserted");
      return;
    }
    seen.add(id);
    if (sealed.hash !== hash.slice(0, MANIFEST_HASH_CHARS)) {
      edited++;
      note(Math.min(index, sealed.index), id, "edited");
    }
  });
  let deleted = 0;
  for (const [id, sealed] of manifest) {
    if (seen.has(id)) continue;
    deleted++;
    note(sealed.index, id, "deleted");
  }
  const found = first as { position: number; id: string; kind: TamperKind } | null;
  if (!found) {
    return {
      rows: quick.rowCount,
      finding: {
        ...base,
        kind: "seal_mismatch",
        firstBadRowId: null,
        detail: "The rows match the manifest but not the seal hash: the seal or its manifest was altered.",
        edited,
        deleted,
        inserted,
      },
    };
  }
  const verb = { edited: "was changed", deleted: "was deleted", inserted: "was inserted" }[found.kind as "edited" | "deleted" | "inserted"];
  return {
    rows: quick.rowCount,
    finding: {
      ...base,
      kind: found.kind,
      firstBadRowId: found.id,
      detail: `Row ${found.id} ${verb} after the period was sealed (${edited} changed, ${deleted} deleted, ${inserted} inserted).`,
      edited,
      deleted,
      inserted,
    },
  };
}

/** Rows present in a period whose rows retention already deleted: they can only have been slipped in. */
async function checkPrunedPeriod(d1: D1Queryable, seal: Seal): Promise<TamperFinding | null> {
  const row = await d1
    .prepare(`SELECT id, (SELECT COUNT(*) FROM audit_logs WHERE created_at >= ?1 AND created_at < ?2) AS n FROM audit_logs
              WHERE created_at >= ?1 AND created_at < ?2 ORDER BY created_at, id LIMIT 1`)
    .bind(seal.period_start, seal.period_end)
    .first<{ id: string; n: number }>();
  if (!row) return null;
  return {
    sealId: seal.id,
    periodStart: iso(seal.period_start),
    periodEnd: iso(seal.period_end),
    kind: "inserted",
    firstBadRowId: row.id,
    detail: `Row ${row.id} sits in a period whose rows were pruned by retention (${row.n} such rows).`,
    edited: 0,
    deleted: 0,
    inserted: row.n,
  };
}

/**
 * Verifies every seal overlapping [from, to): each links to the one before it (hash and time), each
 * unpruned period's rows still hash to its seal, and pruned periods stay empty. Pruned periods keep
 * their seal rows, so the chain verifies across them.
 */
export async function verifyAuditTrail(d1: D1Queryable, from: number, to: number): Promise<VerifyReport> {
  const { results: seals } = await d1
    .prepare(
      `SELECT id, period_start, period_end, row_count, hash, previous_hash, pruned_at FROM audit_seals
       WHERE period_end > ?1 AND period_start < ?2 ORDER BY period_start LIMIT ${MAX_VERIFY_PERIODS + 1}`,
    )
    .bind(from, to)
    .all<Seal>();
  const last = await d1.prepare("SELECT MAX(period_end) AS t FROM audit_seals").first<{ t: number | null }>();
  const findings: TamperFinding[] = [];
  let rowsChecked = 0;
  let prunedPeriods = 0;
  let previous: Seal | null = seals[0]
    ? await d1
        .prepare(
          "SELECT id, period_start, period_end, row_count, hash, previous_hash, pruned_at FROM audit_seals WHERE period_start < ? ORDER BY period_start DESC LIMIT 1",
        )
        .bind(seals[0].period_start)
        .first<Seal>()
    : null;

  const firstSeal = seals[0];
  if (firstSeal && !previous && firstSeal.previous_hash === null) {
    const early = await d1
      .prepare(`SELECT id FROM audit_logs WHERE created_at < ? ORDER BY created_at, id LIMIT 1`)
      .bind(firstSeal.period_start)
      .first<Pick<AuditRow, "id">>();
    if (early) {
      findings.push({
        sealId: firstSeal.id,
        periodStart: iso(firstSeal.period_start),
        periodEnd: iso(firstSeal.period_end),
        kind: "inserted",
        firstBadRowId: early.id,
        detail: `Row ${early.id} is dated before the first seal of the chain.`,
        edited: 0,
        deleted: 0,
        inserted: 1,
      });
    }
  }

  for (const seal of seals.slice(0, MAX_VERIFY_PERIODS)) {
    const expectedPrevious = previous?.hash ?? null;
    const linked = seal.previous_hash === expectedPrevious && (!previous || previous.period_end === seal.period_start);
    if (!linked) {
      findings.push({
        sealId: seal.id,
        periodStart: iso(seal.period_start),
        periodEnd: iso(seal.period_end),
        kind: "chain_broken",
        firstBadRowId: null,
        detail: previous
          ? `This seal does not follow seal ${previous.id}: a seal was removed, replaced or reordered.`
          : "This seal names a previous seal that no longer exists.",
        edited: 0,
        deleted: 0,
        inserted: 0,
      });
    }
    if (seal.pruned_at !== null) {
      prunedPeriods++;
      const finding = await checkPrunedPeriod(d1, seal);
      if (finding) findings.push(finding);
    } else {
      const { finding, rows } = await checkPeriod(d1, seal);
      rowsChecked += rows;
      if (finding) findings.push(finding);
    }
    previous = seal;
  }
  return {
    ok: findings.length === 0,
    from: iso(from),
    to: iso(to),
    periodsChecked: Math.min(seals.length, MAX_VERIFY_PERIODS),
    prunedPeriods,
    rowsChecked,
    sealedThrough: last?.t != null ? iso(last.t) : null,
    findings,
  };
}

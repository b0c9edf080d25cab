import type { D1Queryable } from "../../db";
import { clock } from "../clock";
import { newId } from "../ids";
import { AUDIT_COLUMNS, AUDIT_LATER_COLUMNS, AUDIT_SELECT, type AuditRow } from "./present";

const SEAL_PERIOD_MS = 3_600_000;
/** A period is sealed only this long after it closes, so in-flight writes land first. */
const SEAL_GRACE_MS = 2 * 60_000;
/** Rows read per query while hashing; also the manifest chunk size. */
const SEAL_CHUNK_ROWS = 1000;
/** How much of each row hash the manifest keeps: enough to name the row, the seal keeps it all. */
export const MANIFEST_HASH_CHARS = 16;
const SEAL_DOMAIN = "proctor-audit-seal/v1";

const encoder = new TextEncoder();

function hex(buffer: ArrayBuffer): string {
  return Array.from(new Uint8Array(buffer), (byte) => byte.toString(16).padStart(2, "0")).join("");
}

/**
 * SHA-256 of the row's every column in a fixed order (JSON-encoded, so no ambiguity between fields);
 * a later column joins as a name and value pair when set (see `AUDIT_LATER_COLUMNS`).
 */
export async function rowHash(row: AuditRow): Promise<string> {
  const values: unknown[] = AUDIT_COLUMNS.map((column) => row[column]);
  for (const column of AUDIT_LATER_COLUMNS) if (row[column] !== null) values.push(column, row[column]);
  return hex(await crypto.subtle.digest("SHA-256", encoder.encode(JSON.stringify(values))));
}

export interface PeriodDigest {
  hash: string;
  rowCount: number;
  firstRowId: string | null;
  lastRowId: string | null;
}

/**
 * Hashes one period's rows in the fixed order (created_at, id), chained to the previous seal:
 * SHA-256(domain ‖ previousHash ‖ periodStart ‖ periodEnd ‖ rowHash₁ ‖ … ‖ rowHashₙ), streamed through
 * a DigestStream chunk by chunk so a busy hour never sits in memory. `onRow` sees each row's hash.
 */
export async function digestPeriod(
  d1: D1Queryable,
  periodStart: number,
  periodEnd: number,
  previousHash: string | null,
  onRow?: (id: string, hash: string, index: number) => void | Promise<void>,
): Promise<PeriodDigest> {
  const digest = new crypto.DigestStream("SHA-256");
  const writer = digest.getWriter();
  await writer.write(encoder.encode(`${SEAL_DOMAIN}\n${previousHash ?? ""}\n${periodStart}\n${periodEnd}\n`));
  let rowCount = 0;
  let firstRowId: string | null = null;
  let lastRowId: string | null = null;
  let after: { c: number; i: string } | null = null;
  for (;;) {
    const page: D1Result<AuditRow> = after
      ? await d1
          .prepare(
            `SELECT ${AUDIT_SELECT} FROM audit_logs WHERE created_at >= ?1 AND created_at < ?2
             AND (created_at > ?3 OR (created_at = ?3 AND id > ?4)) ORDER BY created_at, id LIMIT ${SEAL_CHUNK_ROWS}`,
          )
          .bind(periodStart, periodEnd, after.c, after.i)
          .all<AuditRow>()
      : await d1
          .prepare(
            `SELECT ${AUDIT_SELECT} FROM audit_logs WHERE created_at >= ?1 AND created_at < ?2 ORDER BY created_at, id LIMIT ${SEAL_CHUNK_ROWS}`,
          )
          .bind(periodStart, periodEnd)
          .all<AuditRow>();
    const results: AuditRow[] = page.results;
    let lines = "";
    for (const row of results) {
      const hash = await rowHash(row);
      lines += `${hash}\n`;
      if (onRow) await onRow(row.id, hash, rowCount);
      firstRowId ??= row.id;
      lastRowId = row.id;
      rowCount++;
    }
    if (lines) await writer.write(encoder.encode(lines));
    const last: AuditRow | undefined = results.at(-1);
    if (!last || results.length < SEAL_CHUNK_ROWS) break;
    after = { c: last.created_at, i: last.id };
  }
  await writer.close();
  return { hash: hex(await digest.digest), rowCount, firstRowId, lastRowId };
}

interface SealRow {
  id: string;
  period_start: number;
  period_end: number;
  hash: string;
  row_count: number;
}

/** Seals [start, end): the seal row and its manifest land in one batch, or not at all. */
async function sealPeriod(d1: D1Database, start: number, end: number, previous: SealRow | null): Promise<SealRow> {
  const now = clock.now();
  const id = newId("auditSeal", now);
  const chunks: string[] = [];
  let current: string[] = [];
  const result = await digestPeriod(d1, start, end, previous?.hash ?? null, (rowId, hash) => {
    current.push(`${rowId} ${hash.slice(0, MANIFEST_HASH_CHARS)}`);
    if (current.length === SEAL_CHUNK_ROWS) {
      chunks.push(current.join("\n"));
      current = [];
    }
  });
  if (current.length > 0) chunks.push(current.join("\n"));
  await d1.batch([
    d1
      .prepare(
        `INSERT INTO audit_seals (id, period_start, period_end, row_count, first_row_id, last_row_id, hash, previous_hash, created_at)
         VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)`,
      )
      .bind(id, start, end, result.rowCount, result.firstRowId, result.lastRowId, result.hash, previous?.hash ?? null, now),
    ...chunks.map((entries, chunk) =>
      d1.prepare("INSERT INTO audit_seal_manifests (seal_id, chunk, entries) VALUES (?, ?, ?)").bind(id, chunk, entries),
    ),
  ]);
  return { id, period_start: start, period_end: end, hash: result.hash, row_count: result.rowCount };
}

/**
 * Seals every closed period after the last seal: each hour that has rows gets its own seal, and a
 * stretch without rows gets one empty seal covering all of it, so the seals tile time without gaps
 * (a row later slipped into any sealed stretch is caught). Bounded per run; the rest waits.
 */
export async function sealClosedPeriods(d1: D1Database, now: number, maxPeriods = 48) {
  const closedEnd = Math.floor((now - SEAL_GRACE_MS) / SEAL_PERIOD_MS) * SEAL_PERIOD_MS;
  let previous = await d1
    .prepare("SELECT id, period_start, period_end, hash, row_count FROM audit_seals ORDER BY period_start DESC LIMIT 1")
    .first<SealRow>();
  let cursor: number;
  if (previous) {
    cursor = previous.period_end;
  } else {
    const first = await d1.prepare("SELECT MIN(created_at) AS t FROM audit_logs").first<{ t: number | null }>();
    if (first?.t == null) return { sealed: 0, rows: 0, sealedThrough: null };
    cursor = Math.floor(first.t / SEAL_PERIOD_MS) * SEAL_PERIOD_MS;
  }
  let sealed = 0;
  let rows = 0;
  while (cursor < closedEnd && sealed < maxPeriods) {
    const next = await d1
      .prepare("SELECT MIN(created_at) AS t FROM audit_logs WHERE created_at >= ?1 AND created_at < ?2")
      .bind(cursor, closedEnd)
      .first<{ t: number | null }>();
    const hourWithRows = next?.t == null ? null : Math.floor(next.t / SEAL_PERIOD_MS) * SEAL_PERIOD_MS;
    const gapEnd = hourWithRows ?? closedEnd;
    if (gapEnd > cursor) {
      previous = await sealPeriod(d1, cursor, gapEnd, previous);
      sealed++;
      cursor = gapEnd;
      continue;
    }
    previous = await sealPeriod(d1, cursor, cursor + SEAL_PERIOD_MS, previous);
    rows += previous.row_count;
    sealed++;
    cursor += SEAL_PERIOD_MS;
  }
  return { sealed, rows, sealedThrough: previous ? new Date(previous.period_end).toISOString() : null };
}

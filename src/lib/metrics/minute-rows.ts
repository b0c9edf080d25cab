import type { D1Queryable } from "../../db";
import { emptyCounts, SKETCH_BUCKETS, type DenseCounts } from "./sketch";

export interface MinuteTotals {
  count: number;
  sum: number;
  min: number;
  max: number;
  counts: DenseCounts;
}

/**
 * `system_metrics` rows matching `where`, merged in SQL per group: count and sum add up, min and
 * max of the rows, and the histograms add bin by bin (`json_each` over each row's bins, grouped by
 * bin). `group` maps each result alias to its SQL expression; `totals` adds aggregate columns to the
 * totals statement. Both statements run in one batch: one round trip, one consistent snapshot.
 */
export async function mergeMinuteRows<Row extends object>(
  d1: D1Queryable,
  group: Record<string, string>,
  where: string,
  params: unknown[],
  totals = "",
): Promise<(Row & MinuteTotals)[]> {
  const aliases = Object.keys(group);
  const select = aliases.map((alias) => `${group[alias]} AS ${alias}`).join(", ");
  const by = aliases.join(", ");
  const [sums, bins] = await d1.batch<Record<string, number | string>>([
    d1
      .prepare(
        `SELECT ${select}, SUM(count) AS count, SUM(sum) AS sum, MIN(min) AS min, MAX(max) AS max${totals ? `, ${totals}` : ""}
         FROM system_metrics WHERE ${where} GROUP BY ${by}`,
      )
      .bind(...params),
    d1
      .prepare(
        `SELECT ${select}, CAST(j.key AS INTEGER) AS bin, SUM(j.value) AS n
         FROM system_metrics, json_each(system_metrics.bins) AS j WHERE ${where} GROUP BY ${by}, bin`,
      )
      .bind(...params),
  ]);
  const keyOf = (row: Record<string, unknown>) => JSON.stringify(aliases.map((alias) => row[alias]));
  const merged = new Map<string, Row & MinuteTotals>();
  for (const row of sums!.results) merged.set(keyOf(row), { ...row, counts: emptyCounts() } as unknown as Row & MinuteTotals);
  for (const row of bins!.results) {
    const bin = Number(row.bin);
    const target = merged.get(keyOf(row));
    if (target && bin >= 0 && bin <= SKETCH_BUCKETS) target.counts[bin]! += Number(row.n);
  }
  return [...merged.values()];
}

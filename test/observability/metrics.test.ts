import { env } from "cloudflare:workers";
import { describe, expect, it } from "vitest";
import { MAINTENANCE_CRON, runCron } from "../../workers/cron";
import { clock } from "../../src/lib/clock";
import type { SeriesPoint } from "../../src/lib/metrics/query";
import { pruneMetrics } from "../../src/lib/metrics/rollup";
import { emptyCounts, sketchIndex, sketchPercentile, SKETCH_BOUNDS } from "../../src/lib/metrics/sketch";
import { createUser } from "../helpers/auth";
import { call, problemOf } from "../helpers/http";
import { seedMetric } from "./seed";

const MINUTE = 60_000;
const HOUR = 3_600_000;
const DAY = 86_400_000;

/** Nearest-rank percentile, the definition the API promises for raw buckets. */
function nearestRank(values: number[], p: number): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.max(0, Math.ceil((p / 100) * sorted.length) - 1)]!;
}

const iso = (ms: number) => new Date(ms).toISOString();
const uniqueName = (label: string) => `test.${label}.${crypto.randomUUID().slice(0, 8)}`;
/** 10:00 UTC three days ago: a closed, hour-aligned stretch nothing else writes to. */
const T0 = Math.floor((Date.now() - 3 * DAY) / DAY) * DAY + 10 * HOUR;

async function series(query: string, headers: Record<string, string>): Promise<SeriesPoint[]> {
  const res = await call(`/v1/admin/metrics?${query}`, { headers });
  expect(res.status, await res.clone().text()).toBe(200);
  return ((await res.json()) as { series: SeriesPoint[] }).series;
}

describe("metric sketch", () => {
  it("bins values on a log scale and estimates percentiles within one bucket", () => {
    expect(sketchIndex(0)).toBe(0);
    expect(sketchIndex(SKETCH_BOUNDS[10]!)).toBe(10);
    expect(sketchIndex(SKETCH_BOUNDS[10]! * 1.01)).toBe(11);
    const values = Array.from({ length: 1000 }, (_, i) => i + 1);
    const counts = emptyCounts();
    for (const value of values) counts[sketchIndex(value)]!++;
    for (const p of [50, 95, 99]) {
      const exact = nearestRank(values, p);
      expect(Math.abs(sketchPercentile(counts, p, 1, 1000) - exact) / exact).toBeLessThan(0.13);
    }
  });
});

describe("metric queries over raw points", () => {
  it("buckets by minute with count, sum, avg, min, max and exact percentiles; empty buckets stay in the series", async () => {
    const admin = await createUser({ role: "admin" });
    const name = uniqueName("latency");
    const first = Array.from({ length: 100 }, (_, i) => i + 1);
    await seedMetric(name, [
      ...first.map((value, i) => ({ value, timestamp: T0 + i * 100 })),
      ...[30, 10, 20].map((value, i) => ({ value, timestamp: T0 + 2 * MINUTE + i * 1000 })),
    ]);
    const points = await series(`name=${name}&bucket=1m&from=${iso(T0)}&to=${iso(T0 + 3 * MINUTE)}`, admin.headers);
    expect(points).toEqual([
      { t: iso(T0), count: 100, sum: 5050, avg: 50.5, min: 1, max: 100, p50: 50, p95: 95, p99: 99 },
      { t: iso(T0 + MINUTE), count: 0, sum: 0, avg: null, min: null, max: null, p50: null, p95: null, p99: null },
      { t: iso(T0 + 2 * MINUTE), count: 3, sum: 60, avg: 20, min: 10, max: 30, p50: 20, p95: 30, p99: 30 },
    ]);

    const all = [...first, 10, 20, 30];
    const [five] = await series(`name=${name}&bucket=5m&from=${iso(T0)}&to=${iso(T0 + 5 * MINUTE)}`, admin.headers);
    expect(five).toMatchObject({ count: 103, sum: 5110, min: 1, max: 100, p50: nearestRank(all, 50), p95: nearestRank(all, 95), p99: nearestRank(all, 99) });
  });

  it("filters by tags and lists names", async () => {
    const admin = await createUser({ role: "admin" });
    const name = uniqueName("tagged");
    await seedMetric(name, [
      { value: 5, timestamp: T0 + 1000, tags: { route: "/a", method: "GET" } },
      { value: 7, timestamp: T0 + 2000, tags: { route: "/a", method: "POST" } },
      { value: 100, timestamp: T0 + 3000, tags: { route: "/b", method: "GET" } },
    ]);
    const window = `name=${name}&bucket=5m&from=${iso(T0)}&to=${iso(T0 + 5 * MINUTE)}`;
    expect((await series(`${window}&tag.route=/a`, admin.headers))[0]).toMatchObject({ count: 2, sum: 12 });
    expect((await series(`${window}&tag.route=/a&tag.method=GET`, admin.headers))[0]).toMatchObject({ count: 1, sum: 5 });
    expect((await series(`${window}&tag.route=%25`, admin.headers))[0]).toMatchObject({ count: 0 });
    const names = (await (await call("/v1/admin/metrics/names", { headers: admin.headers })).json()) as { data: string[] };
    expect(names.data).toContain(name);
  });

  it("refuses oversized ranges, unknown parameters and non-admins", async () => {
    const admin = await createUser({ role: "admin" });
    const tooMany = await call(`/v1/admin/metrics?name=x&bucket=1m&from=${iso(T0)}&to=${iso(T0 + 30 * DAY)}`, { headers: admin.headers });
    expect((await problemOf(tooMany)).code).toBe("validation_failed");
    const unknown = await problemOf(await call("/v1/admin/metrics?name=x&colour=red&tag.bad%20key=1", { headers: admin.headers }));
    expect(unknown.errors!.map((e) => e.path).sort()).toEqual(["colour", "tag.bad key"]);
    expect((await problemOf(await call("/v1/admin/metrics?bucket=2m", { headers: admin.headers }))).errors!.map((e) => e.path).sort()).toEqual([
      "bucket",
      "name",
    ]);
    const student = await createUser();
    expect((await problemOf(await call("/v1/admin/metrics?name=x", { headers: student.headers }))).code).toBe("insufficient_scope");
  });
});

describe("roll-ups and retention", () => {
  it("rolls closed hours and days up, and keeps answering after raw points are pruned", async () => {
    const admin = await createUser({ role: "admin" });
    const name = uniqueName("rolled");
    const hour1 = Array.from({ length: 200 }, (_, i) => (i + 1) * 2);
    const hour2 = Array.from({ length: 50 }, (_, i) => 1000 + i);
    await seedMetric(name, [
      ...hour1.map((value, i) => ({ value, timestamp: T0 + i * 1000 })),
      ...hour2.map((value, i) => ({ value, timestamp: T0 + HOUR + i * 1000 })),
      { value: 5, timestamp: T0 + DAY, tags: {} },
    ]);
    const hourly = `name=${name}&bucket=1h&from=${iso(T0)}&to=${iso(T0 + 2 * HOUR)}`;
    const before = await series(hourly, admin.headers);
    expect(before.map((p) => p.count)).toEqual([200, 50]);
    expect(before[0]!.p50).toBe(nearestRank(hour1, 50));

    const outcome = await runCron(MAINTENANCE_CRON, env);
    expect(outcome["roll-up-metrics"]).toMatchObject({ hours: expect.any(Number) });
    const rollups = await env.DB.prepare("SELECT bucket, COUNT(*) AS n, SUM(count) AS c FROM metric_rollups WHERE name = ? GROUP BY bucket ORDER BY bucket")
      .bind(name)
      .all<{ bucket: string; n: number; c: number }>();
    expect(rollups.results).toEqual([
      { bucket: "1d", n: 1, c: 250 },
      { bucket: "1h", n: 3, c: 251 },
    ]);

    const pruned = await pruneMetrics(env.DB, clock.now(), 1, 90);
    expect(pruned.rawDeleted).toBeGreaterThanOrEqual(251);
    const left = await env.DB.prepare("SELECT COUNT(*) AS n FROM system_metrics WHERE name = ?").bind(name).first<{ n: number }>();
    expect(left?.n).toBe(0);
    const names = (await (await call("/v1/admin/metrics/names", { headers: admin.headers })).json()) as { data: string[] };
    expect(names.data).toContain(name);

    const after = await series(hourly, admin.headers);
    expect(after.map((p) => [p.count, p.sum, p.min, p.max])).toEqual(before.map((p) => [p.count, p.sum, p.min, p.max]));
    for (const [i, p] of after.entries()) {
      for (const key of ["p50", "p95", "p99"] as const) {
        expect(Math.abs(p[key]! - before[i]![key]!) / before[i]![key]!).toBeLessThan(0.13);
      }
    }
    const daily = await series(`name=${name}&bucket=1d&from=${iso(T0 - 10 * HOUR)}&to=${iso(T0 + 2 * DAY - 10 * HOUR)}`, admin.headers);
    expect(daily.map((p) => p.count)).toEqual([250, 1]);
    expect(daily[0]).toMatchObject({ min: 2, max: 1049 });
  });
});

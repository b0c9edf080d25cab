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

/** Nearest-rank percentile: what the sketch estimates. */
function nearestRank(values: number[], p: number): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.max(0, Math.ceil((p / 100) * sorted.length) - 1)]!;
}

/** Percentiles are histogram estimates: within one log bin (±12 %) of the exact ones, inside [min, max]. */
function expectPercentiles(point: SeriesPoint, values: number[]) {
  for (const [key, p] of [
    ["p50", 50],
    ["p95", 95],
    ["p99", 99],
  ] as const) {
    const exact = nearestRank(values, p);
    expect(Math.abs(point[key]! - exact) / exact, `${key} ${point[key]} vs ${exact}`).toBeLessThan(0.13);
    expect(point[key]).toBeGreaterThanOrEqual(point.min!);
    expect(point[key]).toBeLessThanOrEqual(point.max!);
  }
}

/** The exact statistics of known inputs, as the API reports them. */
function exactStats(values: number[]) {
  const sum = values.reduce((a, b) => a + b, 0);
  return { count: values.length, sum: round(sum), avg: round(sum / values.length), min: Math.min(...values), max: Math.max(...values) };
}
const round = (value: number) => Math.round(value * 1000) / 1000;

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

describe("metric queries over minute rows", () => {
  it("buckets by minute with exact count, sum, avg, min, max and estimated percentiles; empty buckets stay in the series", async () => {
    const admin = await createUser({ role: "admin" });
    const name = uniqueName("latency");
    const first = Array.from({ length: 100 }, (_, i) => i + 1);
    await seedMetric(name, [
      ...first.map((value, i) => ({ value, timestamp: T0 + i * 100 })),
      ...[30, 10, 20].map((value, i) => ({ value, timestamp: T0 + 2 * MINUTE + i * 1000 })),
    ]);
    const points = await series(`name=${name}&bucket=1m&from=${iso(T0)}&to=${iso(T0 + 3 * MINUTE)}`, admin.headers);
    expect(points.map(({ p50: _p50, p95: _p95, p99: _p99, ...exact }) => exact)).toEqual([
      { t: iso(T0), count: 100, sum: 5050, avg: 50.5, min: 1, max: 100 },
      { t: iso(T0 + MINUTE), count: 0, sum: 0, avg: null, min: null, max: null },
      { t: iso(T0 + 2 * MINUTE), count: 3, sum: 60, avg: 20, min: 10, max: 30 },
    ]);
    expectPercentiles(points[0]!, first);
    expect(points[1]).toMatchObject({ p50: null, p95: null, p99: null });
    expectPercentiles(points[2]!, [30, 10, 20]);

    const all = [...first, 10, 20, 30];
    const [five] = await series(`name=${name}&bucket=5m&from=${iso(T0)}&to=${iso(T0 + 5 * MINUTE)}`, admin.headers);
    expect(five).toMatchObject({ count: 103, sum: 5110, min: 1, max: 100 });
    expectPercentiles(five!, all);
  });

  it("gives the same answers from minute rows of several flushes as the points themselves", async () => {
    const admin = await createUser({ role: "admin" });
    const name = uniqueName("aggregated");
    const start = T0 + 10 * MINUTE;
    // 540 points, one every second for 9 minutes, values spread over 0.5..100.4, two routes.
    const points = Array.from({ length: 540 }, (_, i) => ({
      value: ((i * 7919) % 1000) / 10 + 0.5,
      timestamp: start + i * 1000,
      tags: { route: i % 3 === 0 ? "/a" : "/b" },
    }));
    await seedMetric(name, points);
    const rows = await env.DB.prepare("SELECT COUNT(*) AS n, COUNT(DISTINCT timestamp) AS minutes FROM system_metrics WHERE name = ?")
      .bind(name)
      .first<{ n: number; minutes: number }>();
    expect(rows!.minutes).toBe(9);
    expect(rows!.n).toBeGreaterThanOrEqual(9 * 2 * 5); // a flush every 10 s: several rows per minute and route

    for (const [bucket, size, query] of [
      ["1m", MINUTE, ""],
      ["5m", 5 * MINUTE, ""],
      ["1m", MINUTE, "&tag.route=/a"],
    ] as const) {
      const from = Math.floor(start / size) * size;
      const got = await series(`name=${name}&bucket=${bucket}&from=${iso(start)}&to=${iso(start + 9 * MINUTE)}${query}`, admin.headers);
      expect(got).toHaveLength(bucket === "1m" ? 9 : 2);
      got.forEach((point, i) => {
        const values = points
          .filter((p) => p.timestamp >= from + i * size && p.timestamp < from + (i + 1) * size)
          .filter((p) => !query || p.tags.route === "/a")
          .map((p) => p.value);
        const { sum, avg, ...exact } = exactStats(values);
        expect(point).toMatchObject({ t: iso(from + i * size), ...exact });
        // Sums add in another order (rows of different flushes), so only float noise may differ.
        expect(point.sum).toBeCloseTo(sum, 6);
        expect(point.avg).toBeCloseTo(avg, 6);
        expectPercentiles(point, values);
      });
    }
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
    expect(
      (await problemOf(await call("/v1/admin/metrics?bucket=2m", { headers: admin.headers }))).errors!.map((e) => e.path).sort(),
    ).toEqual(["bucket", "name"]);
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
    expect(before.map(({ p50: _p50, p95: _p95, p99: _p99, t: _t, ...exact }) => exact)).toEqual([exactStats(hour1), exactStats(hour2)]);
    expectPercentiles(before[0]!, hour1);
    const minuteRows = await env.DB.prepare("SELECT COUNT(*) AS n FROM system_metrics WHERE name = ?").bind(name).first<{ n: number }>();

    const outcome = await runCron(MAINTENANCE_CRON, env);
    expect(outcome["roll-up-metrics"]).toMatchObject({ hours: expect.any(Number) });
    const rollups = await env.DB.prepare(
      "SELECT bucket, COUNT(*) AS n, SUM(count) AS c FROM metric_rollups WHERE name = ? GROUP BY bucket ORDER BY bucket",
    )
      .bind(name)
      .all<{ bucket: string; n: number; c: number }>();
    expect(rollups.results).toEqual([
      { bucket: "1d", n: 1, c: 250 },
      { bucket: "1h", n: 3, c: 251 },
    ]);

    const pruned = await pruneMetrics(env.DB, clock.now(), 1, 90);
    expect(pruned.rawDeleted).toBeGreaterThanOrEqual(minuteRows!.n);
    const left = await env.DB.prepare("SELECT COUNT(*) AS n FROM system_metrics WHERE name = ?").bind(name).first<{ n: number }>();
    expect(left?.n).toBe(0);
    const names = (await (await call("/v1/admin/metrics/names", { headers: admin.headers })).json()) as { data: string[] };
    expect(names.data).toContain(name);

    // The roll-up keeps the merged histogram bin for bin, so even the estimates stay the same.
    expect(await series(hourly, admin.headers)).toEqual(before);
    const daily = await series(`name=${name}&bucket=1d&from=${iso(T0 - 10 * HOUR)}&to=${iso(T0 + 2 * DAY - 10 * HOUR)}`, admin.headers);
    expect(daily.map((p) => p.count)).toEqual([250, 1]);
    expect(daily[0]).toMatchObject({ min: 2, max: 1049 });
  });
});

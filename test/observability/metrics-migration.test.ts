import { env } from "cloudflare:workers";
import { describe, expect, it } from "vitest";
import { sketchIndex } from "../../src/lib/metrics/sketch";

const MINUTE = 60_000;

describe("the migration to minute rows", () => {
  it("merges single-point rows per (name, tags, minute) with exact totals and the bins sketchIndex gives", async () => {
    const migration = env.TEST_MIGRATIONS.find((m) => m.name.endsWith("_metric_minute_aggregates.sql"));
    expect(migration).toBeDefined();
    // The migration runs on a copy of the old table under another name, with points of known values.
    const table = `legacy_metrics_${crypto.randomUUID().slice(0, 8)}`;
    await env.DB.prepare(
      `CREATE TABLE ${table} (id integer PRIMARY KEY AUTOINCREMENT NOT NULL, name text NOT NULL, value real NOT NULL,
       tags text DEFAULT '{}' NOT NULL, tags_key text DEFAULT '' NOT NULL, timestamp integer NOT NULL)`,
    ).run();
    const t0 = Math.floor(Date.now() / MINUTE) * MINUTE - 10 * MINUTE;
    const values = [-3, 0, 0.0005, 0.001, 0.00125, 0.5, 1, 1.2, 37.5, 250, 1000, 12_345.678, 1e12];
    type Point = { name: string; value: number; tags: Record<string, string>; tagsKey: string; timestamp: number };
    const points = values.flatMap((value, i): Point[] => [
      {
        name: "http.request",
        value,
        tags: { route: "/a", method: "GET" },
        tagsKey: "method=GET,route=/a",
        timestamp: t0 + (i % 2) * MINUTE + i * 1000,
      },
      { name: "http.request", value: value * 2, tags: {}, tagsKey: "", timestamp: t0 + 30_000 },
    ]);
    await env.DB.batch(
      points.map((p) =>
        env.DB.prepare(`INSERT INTO ${table} (name, value, tags, tags_key, timestamp) VALUES (?, ?, ?, ?, ?)`).bind(
          p.name,
          p.value,
          JSON.stringify(p.tags),
          p.tagsKey,
          p.timestamp,
        ),
      ),
    );
    for (const query of migration!.queries) await env.DB.prepare(query.replaceAll("system_metrics", table)).run();

    const { results } = await env.DB.prepare(
      `SELECT name, tags, tags_key, timestamp, count, sum, min, max, bins FROM ${table} ORDER BY tags_key, timestamp`,
    ).all<{
      name: string;
      tags: string;
      tags_key: string;
      timestamp: number;
      count: number;
      sum: number;
      min: number;
      max: number;
      bins: string;
    }>();
    await env.DB.prepare(`DROP TABLE ${table}`).run();

    const expected = new Map<string, { tags: Record<string, string>; tags_key: string; timestamp: number; values: number[] }>();
    for (const p of points) {
      const minute = p.timestamp - (p.timestamp % MINUTE);
      const key = `${p.tagsKey}|${minute}`;
      if (!expected.has(key)) expected.set(key, { tags: p.tags, tags_key: p.tagsKey, timestamp: minute, values: [] });
      expected.get(key)!.values.push(p.value);
    }
    const want = [...expected.values()]
      .sort((a, b) => a.tags_key.localeCompare(b.tags_key) || a.timestamp - b.timestamp)
      .map(({ values: vs, ...row }) => {
        const bins: Record<string, number> = {};
        for (const v of vs) bins[sketchIndex(v)] = (bins[sketchIndex(v)] ?? 0) + 1;
        return {
          name: "http.request",
          ...row,
          count: vs.length,
          sum: vs.reduce((a, b) => a + b, 0),
          min: Math.min(...vs),
          max: Math.max(...vs),
          bins,
        };
      });
    expect(results.map((row) => ({ ...row, tags: JSON.parse(row.tags), bins: JSON.parse(row.bins) }))).toEqual(want);
  });
});

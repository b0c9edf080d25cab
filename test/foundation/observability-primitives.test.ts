import { env } from "cloudflare:workers";
import { afterEach, describe, expect, it, vi } from "vitest";
import { Logger } from "../../src/lib/logger";
import { FLUSH_INTERVAL_MS, isolateMetrics, MetricsAggregator } from "../../src/lib/metrics/aggregator";
import { MetricsRecorder, tagsKey } from "../../src/lib/metrics/recorder";
import { sketchIndex } from "../../src/lib/metrics/sketch";
import { newId, ulid } from "../../src/lib/ids";
import { clock } from "../../src/lib/clock";
import { testApp } from "../helpers/test-app";

afterEach(() => vi.restoreAllMocks());

describe("Logger", () => {
  it("writes JSON lines with context and redacts secrets in fields and messages", () => {
    const lines: string[] = [];
    vi.spyOn(console, "log").mockImplementation((line: string) => void lines.push(line));
    const logger = new Logger({ requestId: "req_1" }, "debug");
    logger.bind({ actor: "usr_1" });
    logger.info("login with password=hunter2 and Bearer st_abcdefghijklmnopqrstuvwx", {
      headers: { authorization: "Bearer pk_abcdefghijklmnopqrstuvwxyz", accept: "json" },
      token: "st_secret",
    });
    const entry = JSON.parse(lines[0]!);
    expect(entry).toMatchObject({ level: "info", requestId: "req_1", actor: "usr_1", token: "[REDACTED]" });
    expect(entry.headers).toEqual({ authorization: "[REDACTED]", accept: "json" });
    expect(lines[0]).not.toMatch(/hunter2|st_abcdef|pk_abcdef/);
  });

  it("drops lines below its level", () => {
    const log = vi.spyOn(console, "log").mockImplementation(() => undefined);
    new Logger({}, "warn").info("quiet");
    expect(log).not.toHaveBeenCalled();
  });
});

describe("MetricsRecorder", () => {
  const logger = new Logger({}, "error");

  it("merges a minute of points into one aggregate row, written by one flush", async () => {
    const aggregator = new MetricsAggregator();
    const recorder = new MetricsRecorder(undefined, aggregator);
    const name = `test.flush.${crypto.randomUUID().slice(0, 8)}`;
    clock.advance(60_000 - (clock.now() % 60_000)); // the start of a minute: all 45 points share it
    for (let i = 0; i < 45; i++) recorder.record(name, i, { b: "2", a: "1" });
    recorder.record(name, Number.NaN);
    expect(aggregator.pendingGroups).toBe(1);
    expect(await aggregator.flush(env.DB, logger)).toEqual({ rows: 1, retrying: 0 });
    expect(aggregator.pendingGroups).toBe(0);
    const row = await env.DB.prepare("SELECT tags, tags_key, timestamp, count, sum, min, max, bins FROM system_metrics WHERE name = ?")
      .bind(name)
      .all<{ tags: string; tags_key: string; timestamp: number; count: number; sum: number; min: number; max: number; bins: string }>();
    expect(row.results).toHaveLength(1);
    const expectedBins: Record<string, number> = {};
    for (let i = 0; i < 45; i++) expectedBins[sketchIndex(i)] = (expectedBins[sketchIndex(i)] ?? 0) + 1;
    expect({ ...row.results[0]!, tags: JSON.parse(row.results[0]!.tags), bins: JSON.parse(row.results[0]!.bins) }).toEqual({
      tags: { b: "2", a: "1" },
      tags_key: "a=1,b=2",
      timestamp: clock.now() - (clock.now() % 60_000),
      count: 45,
      sum: 990,
      min: 0,
      max: 44,
      bins: expectedBins,
    });
  });

  it("measure records the duration even when the function throws", async () => {
    const aggregator = new MetricsAggregator();
    const recorder = new MetricsRecorder(undefined, aggregator);
    await expect(recorder.measure("test.measure", () => Promise.reject(new Error("x")))).rejects.toThrow("x");
    expect(aggregator.pendingGroups).toBe(1);
  });

  it("canonicalises tags", () => {
    expect(tagsKey({ z: "1", a: "2" })).toBe("a=2,z=1");
  });

  it("records one http.request point per request; the first request after the flush interval writes them", async () => {
    const { app, request } = testApp();
    const path = `/__test/metrics-probe-${crypto.randomUUID().slice(0, 8)}`;
    app.get(path, (c) => c.text("ok"));
    const written = async () =>
      (await env.DB.prepare("SELECT SUM(count) AS n FROM system_metrics WHERE name = 'http.request' AND tags_key = ?")
        .bind(`method=GET,route=${path},status=2xx`)
        .first<{ n: number | null }>())!.n;
    await isolateMetrics.flush(env.DB, logger); // start from an empty buffer
    for (let i = 0; i < 3; i++) expect((await request(path)).status).toBe(200);
    expect(await written()).toBeNull(); // reads wrote nothing
    clock.advance(FLUSH_INTERVAL_MS);
    await request(path); // waits for its waitUntil, i.e. the flush
    expect(await written()).toBe(4);
    expect(isolateMetrics.pendingGroups).toBe(0);
  });
});

describe("ids and clock", () => {
  it("mints prefixed ids that sort by time", () => {
    const a = newId("user", 1_700_000_000_000);
    const b = newId("user", 1_700_000_000_001);
    expect(a).toMatch(/^usr_[0-9A-HJKMNP-TV-Z]{26}$/);
    expect(a < b).toBe(true);
    expect(ulid(0).slice(0, 10)).toBe("0000000000");
  });

  it("moves for every reader when a test advances it", () => {
    const start = clock.now();
    clock.advance(3_600_000);
    expect(clock.now() - start).toBeGreaterThanOrEqual(3_600_000);
  });
});

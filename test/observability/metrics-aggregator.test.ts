import { env } from "cloudflare:workers";
import { afterEach, describe, expect, it, vi } from "vitest";
import { MAINTENANCE_CRON, runCron } from "../../workers/cron";
import { clock } from "../../src/lib/clock";
import { Logger } from "../../src/lib/logger";
import { FLUSH_GROUPS, FLUSH_INTERVAL_MS, isolateMetrics, MAX_GROUPS, MetricsAggregator } from "../../src/lib/metrics/aggregator";
import { ENGINE_POINTS_PER_INVOCATION, MetricsRecorder } from "../../src/lib/metrics/recorder";
import { ROLLUP_GRACE_MS } from "../../src/lib/metrics/rollup";
import { HOUR_MS, MINUTE_MS } from "../../src/lib/metrics/watermarks";
import { testApp } from "../helpers/test-app";
import { deliver } from "../jobs/helpers";

const DAY = 86_400_000;
const quiet = new Logger({}, "error");

afterEach(() => vi.restoreAllMocks());

function fresh(label: string, engine?: AnalyticsEngineDataset) {
  const aggregator = new MetricsAggregator();
  return { aggregator, recorder: new MetricsRecorder(engine, aggregator), name: `test.${label}.${crypto.randomUUID().slice(0, 8)}` };
}

/** Moves the clock `daysAgo` days back, to the start of a minute: drops reported there are this test's. */
function atMinuteStart(daysAgo: number): number {
  clock.advance(-daysAgo * DAY);
  clock.advance(MINUTE_MS - (clock.now() % MINUTE_MS));
  return clock.now();
}

async function totals(name: string, tagsKey?: string) {
  return env.DB.prepare(
    `SELECT COUNT(*) AS rows, COALESCE(SUM(count), 0) AS count, COALESCE(SUM(sum), 0) AS sum FROM system_metrics
     WHERE name = ?1 AND (?2 IS NULL OR tags_key = ?2)`,
  )
    .bind(name, tagsKey ?? null)
    .first<{ rows: number; count: number; sum: number }>();
}

/** The `metrics.dropped` point (value = points dropped) written in the minute starting at `minute`. */
async function droppedAt(minute: number, reason: string) {
  return env.DB.prepare(
    "SELECT SUM(count) AS reports, SUM(sum) AS points FROM system_metrics WHERE name = 'metrics.dropped' AND tags_key = ? AND timestamp = ?",
  )
    .bind(`reason=${reason}`, minute)
    .first<{ reports: number | null; points: number | null }>();
}

/** A D1 that is down: every batch fails. */
const downD1 = {
  prepare: (query: string) => env.DB.prepare(query),
  batch: () => Promise.reject(new Error("D1_ERROR: database unavailable")),
} as unknown as D1Database;

describe("when the aggregator flushes", () => {
  it("waits until the oldest buffered point has waited the flush interval", async () => {
    const { aggregator, recorder, name } = fresh("interval");
    recorder.record(name, 1);
    expect(aggregator.flushIfDue(env.DB, quiet)).toBeUndefined();
    clock.advance(FLUSH_INTERVAL_MS - 1000);
    recorder.record(name, 2);
    expect(aggregator.flushIfDue(env.DB, quiet)).toBeUndefined();
    expect(await totals(name)).toMatchObject({ rows: 0 });

    clock.advance(1000);
    expect(await aggregator.flushIfDue(env.DB, quiet)).toMatchObject({ retrying: 0 });
    expect(await totals(name)).toMatchObject({ count: 2, sum: 3 });
    expect(aggregator.flushIfDue(env.DB, quiet)).toBeUndefined(); // nothing left
  });

  it("flushes early once the buffer holds FLUSH_GROUPS groups", async () => {
    const { aggregator, recorder, name } = fresh("threshold");
    for (let i = 0; i < FLUSH_GROUPS - 1; i++) recorder.record(name, i, { i: String(i) });
    expect(aggregator.flushIfDue(env.DB, quiet)).toBeUndefined();
    recorder.record(name, 1, { i: "last" });
    expect(await aggregator.flushIfDue(env.DB, quiet)).toEqual({ rows: FLUSH_GROUPS, retrying: 0 });
    expect(await totals(name)).toMatchObject({ rows: FLUSH_GROUPS, count: FLUSH_GROUPS });
  });

  it("never runs two flushes at once: a due flush waits, an explicit one queues behind", async () => {
    const { aggregator, recorder, name } = fresh("in-flight");
    recorder.record(name, 1);
    clock.advance(FLUSH_INTERVAL_MS);
    const first = aggregator.flushIfDue(env.DB, quiet)!;
    recorder.record(name, 2);
    clock.advance(FLUSH_INTERVAL_MS);
    expect(aggregator.flushIfDue(env.DB, quiet)).toBeUndefined();
    const second = aggregator.flush(env.DB, quiet);
    expect(await first).toEqual({ rows: 1, retrying: 0 });
    expect(await second).toEqual({ rows: 1, retrying: 0 });
    expect(await totals(name)).toMatchObject({ rows: 2, count: 2, sum: 3 });
  });
});

describe("what the aggregator gives up, and counts", () => {
  it("holds at most MAX_GROUPS groups: points of further groups are dropped and reported as metrics.dropped", async () => {
    const minute = atMinuteStart(20);
    const { aggregator, recorder, name } = fresh("bounded");
    for (let i = 0; i < MAX_GROUPS + 7; i++) recorder.record(name, 1, { i: String(i) });
    recorder.record(name, 4, { i: "0" }); // an existing group still takes points
    expect(aggregator.pendingGroups).toBe(MAX_GROUPS);
    expect(aggregator.dropped).toEqual({ full: 7 });

    expect(await aggregator.flush(env.DB, quiet)).toEqual({ rows: MAX_GROUPS + 1, retrying: 0 });
    expect(await totals(name)).toEqual({ rows: MAX_GROUPS, count: MAX_GROUPS + 1, sum: MAX_GROUPS + 4 });
    expect(await droppedAt(minute, "full")).toEqual({ reports: 1, points: 7 });
    expect(aggregator.dropped).toEqual({});
  });

  it("keeps the groups of a failed flush for the next one, after a back-off, and logs the failure", async () => {
    const warnings: string[] = [];
    vi.spyOn(console, "warn").mockImplementation((line: string) => void warnings.push(line));
    const { aggregator, recorder, name } = fresh("retried");
    for (const value of [1, 2, 3, 4, 5]) recorder.record(name, value);
    clock.advance(FLUSH_INTERVAL_MS);

    const failed = await aggregator.flushIfDue(downD1, new Logger({}, "warn"));
    expect(failed).toEqual({ rows: 0, error: "Error: D1_ERROR: database unavailable", retrying: 1 });
    expect(JSON.parse(warnings[0]!)).toMatchObject({ level: "warn", message: "metrics flush failed", retrying: 1, dropped: 0 });
    expect(aggregator.pendingGroups).toBe(1);
    expect(aggregator.flushIfDue(env.DB, quiet)).toBeUndefined(); // not on every request while D1 is down

    clock.advance(FLUSH_INTERVAL_MS);
    expect(await aggregator.flushIfDue(env.DB, quiet)).toEqual({ rows: 1, retrying: 0 });
    expect(await totals(name)).toMatchObject({ rows: 1, count: 5, sum: 15 });
  });

  it("drops groups that fail twice and reports them as metrics.dropped", async () => {
    const minute = atMinuteStart(21);
    const { aggregator, recorder, name } = fresh("failed-twice");
    recorder.record(name, 1, { batch: "b" });
    recorder.record(name, 1, { batch: "b" });
    await aggregator.flush(downD1, quiet);
    recorder.record(name, 3, { batch: "c" });
    expect(await aggregator.flush(downD1, quiet)).toMatchObject({ rows: 0, retrying: 1 });
    expect(aggregator.dropped).toEqual({ failed: 2 });

    expect(await aggregator.flush(env.DB, quiet)).toEqual({ rows: 2, retrying: 0 });
    expect(await totals(name, "batch=b")).toMatchObject({ rows: 0 });
    expect(await totals(name, "batch=c")).toMatchObject({ count: 1, sum: 3 });
    expect(await droppedAt(minute, "failed")).toEqual({ reports: 1, points: 2 });
  });

  it("drops groups whose hour may already be rolled up, so 1m and 1h answers never disagree", async () => {
    const start = atMinuteStart(22);
    const { aggregator, recorder, name } = fresh("late");
    const hourEnd = start - (start % HOUR_MS) + HOUR_MS;
    recorder.record(name, 1, { when: "in-time" });
    clock.advance(hourEnd + ROLLUP_GRACE_MS - 1000 - clock.now());
    expect(await aggregator.flush(env.DB, quiet)).toEqual({ rows: 1, retrying: 0 });

    recorder.record(name, 2, { when: "late" }); // in the next hour, flushed after that one's grace
    recorder.record(name, 2, { when: "late" });
    clock.advance(hourEnd + HOUR_MS + ROLLUP_GRACE_MS - clock.now());
    expect(await aggregator.flush(env.DB, quiet)).toEqual({ rows: 0, retrying: 0 });
    expect(aggregator.dropped).toEqual({ late: 2 });
    const reportedAt = clock.now() - (clock.now() % MINUTE_MS);
    await aggregator.flush(env.DB, quiet);
    expect(await totals(name, "when=in-time")).toMatchObject({ count: 1 });
    expect(await totals(name, "when=late")).toMatchObject({ rows: 0 });
    expect(await droppedAt(reportedAt, "late")).toEqual({ reports: 1, points: 2 });
  });
});

describe("the Analytics Engine dataset", () => {
  it("receives every point of a request, the request's own included, when METRICS_ENGINE is bound", async () => {
    const written: AnalyticsEngineDataPoint[] = [];
    const engine: AnalyticsEngineDataset = { writeDataPoint: (point) => void written.push(point!) };
    const { app, request } = testApp();
    const path = `/__test/engine-${crypto.randomUUID().slice(0, 8)}`;
    app.get(path, (c) => {
      c.var.metrics.record("test.engine", 7.5, { kind: "probe" });
      return c.text("ok");
    });
    expect((await request(path, {}, { ...env, METRICS_ENGINE: engine })).status).toBe(200);
    expect(written).toEqual([
      { blobs: ["test.engine", "kind=probe"], doubles: [7.5], indexes: ["test.engine"] },
      { blobs: ["http.request", `method=GET,route=${path},status=2xx`], doubles: [expect.any(Number)], indexes: ["http.request"] },
    ]);
  });

  it(`takes at most ${ENGINE_POINTS_PER_INVOCATION} points per invocation and never lets a write failure reach the caller`, () => {
    const written: AnalyticsEngineDataPoint[] = [];
    const { aggregator, recorder, name } = fresh("engine-cap", { writeDataPoint: (point) => void written.push(point!) });
    for (let i = 0; i < ENGINE_POINTS_PER_INVOCATION + 10; i++) recorder.record(name, i);
    expect(written).toHaveLength(ENGINE_POINTS_PER_INVOCATION);
    expect(aggregator.dropped).toEqual({ engine: 10 });

    const broken = fresh("engine-broken", {
      writeDataPoint: () => {
        throw new Error("index too long");
      },
    });
    expect(() => broken.recorder.record(broken.name, 1)).not.toThrow();
    expect(broken.aggregator.dropped).toEqual({ engine: 1 });
    expect(broken.aggregator.pendingGroups).toBe(1); // D1 still gets the point
  });
});

describe("queue and scheduled entry points", () => {
  it("a cron run records each task's duration and flushes the isolate's metrics at its end", async () => {
    await isolateMetrics.flush(env.DB, quiet);
    const before = (await totals("cron.task", "outcome=ok,task=roll-up-metrics"))!.count;
    await runCron(MAINTENANCE_CRON, env);
    expect((await totals("cron.task", "outcome=ok,task=roll-up-metrics"))!.count).toBe(before + 1);
    expect(isolateMetrics.pendingGroups).toBe(0);
  });

  it("a queue batch records each job delivery; the first batch after the flush interval writes them", async () => {
    await isolateMetrics.flush(env.DB, quiet);
    const tags = "outcome=skipped,queue=default";
    const before = (await totals("job.delivery", tags))!.count;
    const gone = { body: { jobId: "job_01JDZZZZZZZZZZZZZZZZZZZZZZ", type: "metrics.rollup" } };
    await deliver("default", [gone, gone]);
    expect((await totals("job.delivery", tags))!.count).toBe(before);
    clock.advance(FLUSH_INTERVAL_MS);
    await deliver("default", [gone]); // waits for the batch's waitUntil, i.e. the flush
    expect((await totals("job.delivery", tags))!.count).toBe(before + 3);
  });
});

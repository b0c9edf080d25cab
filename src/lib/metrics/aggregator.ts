import { awaitShared } from "../await-shared";
import { clock } from "../clock";
import type { Logger } from "../logger";
import type { MetricTags } from "../../db/schema";
import { ROLLUP_GRACE_MS } from "./rollup";
import { sketchIndex } from "./sketch";
import { HOUR_MS, MINUTE_MS } from "./watermarks";

/** A buffered point is written by the first request (or job) that ends this long after it. */
export const FLUSH_INTERVAL_MS = 10_000;
/** A burst of distinct series is written early rather than waiting for the interval. */
export const FLUSH_GROUPS = 250;
/** Hard cap on buffered groups: a point that would open one more is dropped and counted. */
export const MAX_GROUPS = 1000;
/** Rows per INSERT: each statement binds its rows as one JSON array, far below D1's 2 MB value limit. */
const ROWS_PER_STATEMENT = 100;

/** Why points were given up, reported as the `metrics.dropped` metric (value = points) on the next flush. */
export type DropReason = "full" | "failed" | "late" | "engine";

interface Group {
  name: string;
  tags: MetricTags;
  tagsKey: string;
  minute: number;
  count: number;
  sum: number;
  min: number;
  max: number;
  /** Global sketch bin index → points in it. */
  bins: Map<number, number>;
}

export interface FlushOutcome {
  rows: number;
  /** The batch failed; its fresh groups wait for the next flush (`retrying`), retried ones were dropped. */
  error?: string;
  retrying: number;
}

function newGroup(name: string, tags: MetricTags, tagsKey: string, minute: number, value: number): Group {
  return { name, tags: { ...tags }, tagsKey, minute, count: 0, sum: 0, min: value, max: value, bins: new Map() };
}

function addPoint(group: Group, value: number): void {
  group.count += 1;
  group.sum += value;
  group.min = Math.min(group.min, value);
  group.max = Math.max(group.max, value);
  const bin = sketchIndex(value);
  group.bins.set(bin, (group.bins.get(bin) ?? 0) + 1);
}

/** A minute whose hour the roll-up may already have read: a row written now would never reach 1h/1d. */
const tooLate = (group: Group, now: number) => group.minute - (group.minute % HOUR_MS) + HOUR_MS + ROLLUP_GRACE_MS <= now;

const INSERT_ROWS = `INSERT INTO system_metrics (name, tags, tags_key, timestamp, count, sum, min, max, bins)
  SELECT json_extract(value, '$[0]'), json_extract(value, '$[1]'), json_extract(value, '$[2]'), json_extract(value, '$[3]'),
    json_extract(value, '$[4]'), json_extract(value, '$[5]'), json_extract(value, '$[6]'), json_extract(value, '$[7]'),
    json_extract(value, '$[8]')
  FROM json_each(?1)`;

async function writeGroups(d1: D1Database, groups: Group[]): Promise<number> {
  const statements: D1PreparedStatement[] = [];
  for (let i = 0; i < groups.length; i += ROWS_PER_STATEMENT) {
    const rows = groups
      .slice(i, i + ROWS_PER_STATEMENT)
      .map((g) => [g.name, g.tags, g.tagsKey, g.minute, g.count, g.sum, g.min, g.max, Object.fromEntries(g.bins)]);
    statements.push(d1.prepare(INSERT_ROWS).bind(JSON.stringify(rows)));
  }
  if (statements.length > 0) await d1.batch(statements);
  return groups.length;
}

/**
 * Metric points of one isolate, merged per (name, tags, minute) into count, sum, min, max and a
 * histogram, and written to D1 as one batch every FLUSH_INTERVAL_MS at most (or early at
 * FLUSH_GROUPS groups) — so requests never write a metric row each. Flushes ride on the `waitUntil`
 * of whichever request or job finds one due; there is never more than one in flight.
 *
 * What can be lost, by design (docs/observability.md): the buffer when the isolate is evicted (its
 * last ≤ FLUSH_INTERVAL_MS of traffic, at most MAX_GROUPS groups, twice that after a failed flush);
 * points past MAX_GROUPS; groups whose hour was rolled up before they could be written; and a batch
 * that fails twice (retried once with the next flush, then dropped). Every drop is counted in
 * `metrics.dropped`.
 */
export class MetricsAggregator {
  private groups = new Map<string, Group>();
  /** Fresh groups of a failed flush, written again with the next one. */
  private retry: Group[] = [];
  private dueAt = Number.POSITIVE_INFINITY;
  private inFlight: Promise<FlushOutcome> | null = null;
  private readonly drops = new Map<DropReason, number>();

  add(name: string, tags: MetricTags, tagsKey: string, value: number): void {
    const now = clock.now();
    const minute = now - (now % MINUTE_MS);
    const key = `${name}\u0000${tagsKey}\u0000${minute}`;
    let group = this.groups.get(key);
    if (!group) {
      if (this.groups.size >= MAX_GROUPS) {
        this.drop("full", 1);
        return;
      }
      group = newGroup(name, tags, tagsKey, minute, value);
      this.groups.set(key, group);
    }
    addPoint(group, value);
    if (this.dueAt === Number.POSITIVE_INFINITY) this.dueAt = now + FLUSH_INTERVAL_MS;
  }

  drop(reason: DropReason, points: number): void {
    this.drops.set(reason, (this.drops.get(reason) ?? 0) + points);
  }

  /** Groups waiting to be written (including those of a failed flush). */
  get pendingGroups(): number {
    return this.groups.size + this.retry.length;
  }

  /** Points dropped since the last flush, by reason. */
  get dropped(): Partial<Record<DropReason, number>> {
    return Object.fromEntries(this.drops);
  }

  /**
   * Starts a flush if one is due (the oldest buffered point has waited FLUSH_INTERVAL_MS, or the
   * buffer holds FLUSH_GROUPS groups) and none is running. The caller hands the promise to
   * `waitUntil`; it never rejects.
   */
  flushIfDue(d1: D1Database, logger: Logger): Promise<FlushOutcome> | undefined {
    if (this.inFlight || this.pendingGroups === 0) return undefined;
    if (clock.now() < this.dueAt && this.groups.size < FLUSH_GROUPS) return undefined;
    return this.start(d1, logger);
  }

  /** Writes everything buffered now, after the flush in flight if any (end of a cron run). */
  async flush(d1: D1Database, logger: Logger): Promise<FlushOutcome> {
    while (this.inFlight) await awaitShared(this.inFlight);
    return this.start(d1, logger);
  }

  private start(d1: D1Database, logger: Logger): Promise<FlushOutcome> {
    const now = clock.now();
    const fresh = [...this.groups.values()];
    const retried = this.retry;
    this.groups = new Map();
    this.retry = [];
    this.dueAt = Number.POSITIVE_INFINITY;
    for (const [reason, points] of this.drops) {
      const group = newGroup("metrics.dropped", { reason }, `reason=${reason}`, now - (now % MINUTE_MS), points);
      addPoint(group, points);
      fresh.push(group);
    }
    this.drops.clear();
    const writable = (group: Group) => {
      if (!tooLate(group, now)) return true;
      this.drop("late", group.count);
      return false;
    };
    const freshRows = fresh.filter(writable);
    const retriedRows = retried.filter(writable);
    const flight = writeGroups(d1, [...freshRows, ...retriedRows]).then(
      (rows): FlushOutcome => ({ rows, retrying: 0 }),
      (error: unknown): FlushOutcome => {
        for (const group of retriedRows) this.drop("failed", group.count);
        this.retry = freshRows;
        this.dueAt = Math.min(this.dueAt, clock.now() + FLUSH_INTERVAL_MS);
        logger.warn("metrics flush failed", { error: String(error), retrying: freshRows.length, dropped: retriedRows.length });
        return { rows: 0, error: String(error), retrying: freshRows.length };
      },
    );
    this.inFlight = flight.finally(() => {
      this.inFlight = null;
    });
    return this.inFlight;
  }
}

/** The isolate's aggregator: every request, queue batch and cron run of this isolate records into it. */
export const isolateMetrics = new MetricsAggregator();

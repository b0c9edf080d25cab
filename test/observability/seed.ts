import { env } from "cloudflare:workers";
import { createDb } from "../../src/db";
import { auditLogs, type NewAuditLog } from "../../src/db/schema";
import { newId } from "../../src/lib/ids";
import { clock } from "../../src/lib/clock";
import { Logger } from "../../src/lib/logger";
import { FLUSH_INTERVAL_MS, MetricsAggregator, type FlushOutcome } from "../../src/lib/metrics/aggregator";
import { MetricsRecorder } from "../../src/lib/metrics/recorder";

/** Inserts audit rows as the writer would have, with the given fields overriding sensible defaults. */
export async function seedAudit(rows: Partial<NewAuditLog>[]): Promise<NewAuditLog[]> {
  const full = rows.map((row) => {
    const createdAt = row.createdAt ?? clock.now();
    return {
      id: newId("audit", createdAt),
      action: "admin.action",
      status: "SUCCESS",
      actorType: "user",
      actorId: null,
      apiKeyId: null,
      targetType: null,
      targetId: null,
      changes: null,
      ip: "203.0.113.1",
      userAgent: "seed",
      country: "DE",
      city: null,
      colo: null,
      requestId: null,
      durationMs: 3,
      metadata: null,
      ...row,
      createdAt,
    } satisfies NewAuditLog;
  });
  const db = createDb(env.DB);
  const inserts = [];
  for (let i = 0; i < full.length; i += 5) inserts.push(db.insert(auditLogs).values(full.slice(i, i + 5)));
  for (let i = 0; i < inserts.length; i += 100) {
    const [first, ...rest] = inserts.slice(i, i + 100);
    await db.batch([first!, ...rest]);
  }
  return full;
}

/**
 * Records metric points through a real aggregator, the clock set to each point's time, flushing as an
 * isolate with steady traffic would: whenever a flush is due, and before the clock jumps a flush
 * interval or more. Known inputs, written the production way (several minute rows per minute).
 * Leaves the clock reset to real time.
 */
export async function seedMetric(name: string, points: { value: number; timestamp: number; tags?: Record<string, string> }[]) {
  const aggregator = new MetricsAggregator();
  const recorder = new MetricsRecorder(undefined, aggregator);
  const logger = new Logger({}, "error");
  const written = async (flush: Promise<FlushOutcome> | undefined) => {
    const outcome = await flush;
    if (outcome?.error) throw new Error(`seeding ${name}: ${outcome.error}`);
  };
  try {
    for (const point of [...points].sort((a, b) => a.timestamp - b.timestamp)) {
      if (point.timestamp - clock.now() >= FLUSH_INTERVAL_MS) await written(aggregator.flush(env.DB, logger));
      clock.advance(point.timestamp - clock.now());
      await written(aggregator.flushIfDue(env.DB, logger));
      recorder.record(name, point.value, point.tags);
    }
    await written(aggregator.flush(env.DB, logger));
  } finally {
    clock.reset();
  }
}

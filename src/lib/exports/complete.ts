import { and, eq, inArray, sql } from "drizzle-orm";
import type { Database } from "../../db";
import { dataExports, type Export } from "../../db/schema";
import type { Env } from "../../env";
import { DAY_MS } from "../clock";
import { eventStatements } from "../events/emit";

const eventBase = (row: Export) => ({ exportId: row.id, ownerId: row.ownerId, kind: row.kind, format: row.format });

/**
 * The finished file recorded, with `export.completed`, only if the export still runs: one cancelled
 * in the meantime stays cancelled (and the caller deletes the file). Returns whether it applied.
 */
export async function markCompleted(
  db: Database,
  row: Export,
  file: { key: string; sizeBytes: number; rowCount: number },
  retentionDays: number,
  now: number,
): Promise<{ applied: boolean; send(env: Env): Promise<boolean> }> {
  const expiresAt = now + retentionDays * DAY_MS;
  const stillRunning = and(eq(dataExports.id, row.id), eq(dataExports.status, "RUNNING"));
  const event = eventStatements(
    db,
    null,
    {
      type: "export.completed",
      aggregateId: row.id,
      ownerId: row.ownerId,
      data: { ...eventBase(row), sizeBytes: file.sizeBytes, rowCount: file.rowCount, expiresAt: new Date(expiresAt).toISOString() },
      when: sql`exists (select 1 from ${dataExports} where ${stillRunning})`,
    },
    now,
  );
  const [, , updated] = await db.batch([
    ...event.statements,
    db
      .update(dataExports)
      .set({
        status: "COMPLETED",
        fileKey: file.key,
        sizeBytes: file.sizeBytes,
        rowCount: file.rowCount,
        completedAt: now,
        expiresAt,
        updatedAt: now,
      })
      .where(stillRunning)
      .returning({ id: dataExports.id }),
  ]);
  return { applied: updated.length > 0, send: event.send };
}

/** The export failed for good: FAILED with a message fit for its owner, and `export.failed`. */
export async function markFailed(db: Database, row: Export, message: string, now: number) {
  const active = and(eq(dataExports.id, row.id), inArray(dataExports.status, ["QUEUED", "RUNNING"]));
  const event = eventStatements(
    db,
    null,
    {
      type: "export.failed",
      aggregateId: row.id,
      ownerId: row.ownerId,
      data: { ...eventBase(row), error: message },
      when: sql`exists (select 1 from ${dataExports} where ${active})`,
    },
    now,
  );
  await db.batch([...event.statements, db.update(dataExports).set({ status: "FAILED", error: message, updatedAt: now }).where(active)]);
  return event;
}

import { sql } from "drizzle-orm";
import { newId } from "../ids";
import { errorLogs, type ErrorLog, type ErrorSource } from "../../db/schema";
import type { Database } from "../../db";
import { fingerprintOf } from "./fingerprint";

export interface ErrorOccurrence {
  severity: "ERROR" | "CRITICAL";
  source: ErrorSource;
  message: string;
  errorType: string;
  errorCode?: string | null;
  stack?: string | null;
  path?: string | null;
  method?: string | null;
  headers?: Record<string, string> | null;
  body?: string | null;
  requestId?: string | null;
  clientRequestId?: string | null;
  userId?: string | null;
}

const MAX_MESSAGE = 2000;
const MAX_STACK = 8000;

function isForeignKeyFailure(error: unknown): boolean {
  return /FOREIGN KEY constraint failed/i.test(String((error as { cause?: unknown })?.cause ?? error));
}

/**
 * Records one occurrence: a new fingerprint inserts a row; a known one bumps `occurrences` and
 * `last_seen_at`, refreshes the latest sample (request, stack), escalates the severity if this one is
 * worse, and reopens the error if it had been resolved. One statement, so concurrent repeats count right.
 */
export async function recordErrorOccurrence(db: Database, occurrence: ErrorOccurrence, now: number): Promise<ErrorLog> {
  const fingerprint = fingerprintOf(occurrence.errorType, occurrence.message, occurrence.stack);
  const row = {
    id: newId("error", now),
    severity: occurrence.severity,
    message: occurrence.message.slice(0, MAX_MESSAGE),
    errorCode: occurrence.errorCode ?? null,
    errorType: occurrence.errorType.slice(0, 200),
    stack: occurrence.stack?.slice(0, MAX_STACK) ?? null,
    fingerprint,
    occurrences: 1,
    firstSeenAt: now,
    lastSeenAt: now,
    source: occurrence.source,
    path: occurrence.path?.slice(0, 2000) ?? null,
    method: occurrence.method ?? null,
    headers: occurrence.headers ?? null,
    body: occurrence.body ?? null,
    requestId: occurrence.requestId ?? null,
    clientRequestId: occurrence.clientRequestId ?? null,
    userId: occurrence.userId ?? null,
    createdAt: now,
  };
  const upsert = (values: typeof row) =>
    db
      .insert(errorLogs)
      .values(values)
      .onConflictDoUpdate({
        target: errorLogs.fingerprint,
        set: {
          occurrences: sql`${errorLogs.occurrences} + 1`,
          lastSeenAt: sql`max(${errorLogs.lastSeenAt}, excluded.last_seen_at)`,
          severity: sql`CASE WHEN excluded.severity = 'CRITICAL' THEN 'CRITICAL' ELSE ${errorLogs.severity} END`,
          message: sql`excluded.message`,
          stack: sql`excluded.stack`,
          source: sql`excluded.source`,
          path: sql`excluded.path`,
          method: sql`excluded.method`,
          headers: sql`excluded.headers`,
          body: sql`excluded.body`,
          requestId: sql`excluded.request_id`,
          clientRequestId: sql`excluded.client_request_id`,
          userId: sql`excluded.user_id`,
          resolvedAt: null,
          resolvedBy: null,
        },
      })
      .returning();
  try {
    const [saved] = await upsert(row);
    return saved!;
  } catch (error) {
    // The user may be gone (deleted account): keep the error, lose the link.
    if (!row.userId || !isForeignKeyFailure(error)) throw error;
    const [saved] = await upsert({ ...row, userId: null });
    return saved!;
  }
}

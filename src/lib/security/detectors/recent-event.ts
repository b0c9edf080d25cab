import { and, eq, gt, sql, type SQL } from "drizzle-orm";
import { securityEvents, type SecurityEventType, type SecuritySeverity } from "../../../db/schema";
import type { Database } from "../../../db";

export interface RecentEventQuery {
  type: SecurityEventType;
  since: number;
  actorId?: string;
  ip?: string;
  severity?: SecuritySeverity;
  /** Matches a top-level string field of `details`, e.g. `{ emailHash }`. */
  detail?: { key: string; value: string };
}

/**
 * Whether an event of this kind was already recorded for the same subject in the window, so a
 * detector reports an attack once per window instead of once per request. Served by the
 * (type, created_at) index: only the window's events of one type are scanned.
 */
export async function hasRecentEvent(db: Database, query: RecentEventQuery): Promise<boolean> {
  const conditions: SQL[] = [eq(securityEvents.type, query.type), gt(securityEvents.createdAt, query.since)];
  if (query.actorId !== undefined) conditions.push(eq(securityEvents.actorId, query.actorId));
  if (query.ip !== undefined) conditions.push(eq(securityEvents.ip, query.ip));
  if (query.severity !== undefined) conditions.push(eq(securityEvents.severity, query.severity));
  if (query.detail) conditions.push(sql`json_extract(${securityEvents.details}, ${`$.${query.detail.key}`}) = ${query.detail.value}`);
  const row = await db
    .select({ id: securityEvents.id })
    .from(securityEvents)
    .where(and(...conditions))
    .limit(1)
    .get();
  return row !== undefined;
}

import { env } from "cloudflare:workers";
import type { SecurityEvent } from "../../src/db/schema";

let ipCounter = 0;

/** An address no other test uses, so per-IP detectors and rate limits never see another test's traffic. */
export function uniqueIp(): string {
  ipCounter += 1;
  const random = crypto.getRandomValues(new Uint8Array(2));
  return `10.${random[0]}.${random[1]}.${(ipCounter % 250) + 1}`;
}

/** Polls until `check` returns a value other than undefined/false, for effects written after the response. */
export async function eventually<T>(check: () => Promise<T | undefined | null | false>, timeoutMs = 5000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await check();
    if (value !== undefined && value !== null && value !== false) return value;
    if (Date.now() > deadline) throw new Error("condition not met in time");
    await new Promise((resolve) => setTimeout(resolve, 25));
  }
}

/** Waits for the `waitUntil` work of earlier requests to settle, so an absence can be asserted. */
export async function settle(ms = 300): Promise<void> {
  await new Promise((resolve) => setTimeout(resolve, ms));
}

type EventRow = Omit<SecurityEvent, "details"> & { details: Record<string, unknown> };

/** Security events straight from D1, newest first. */
export async function securityEventsWhere(filter: { type?: string; ip?: string; actorId?: string }): Promise<EventRow[]> {
  const clauses: string[] = [];
  const binds: string[] = [];
  for (const [column, value] of [
    ["type", filter.type],
    ["ip", filter.ip],
    ["actor_id", filter.actorId],
  ] as const) {
    if (value === undefined) continue;
    clauses.push(`${column} = ?`);
    binds.push(value);
  }
  const where = clauses.length > 0 ? `WHERE ${clauses.join(" AND ")}` : "";
  const { results } = await env.DB.prepare(`SELECT * FROM security_events ${where} ORDER BY created_at DESC, id DESC`)
    .bind(...binds)
    .all<Record<string, unknown>>();
  return results.map((row) => ({
    id: row.id as string,
    type: row.type as EventRow["type"],
    severity: row.severity as EventRow["severity"],
    status: row.status as EventRow["status"],
    actorId: (row.actor_id as string | null) ?? null,
    apiKeyId: (row.api_key_id as string | null) ?? null,
    ip: (row.ip as string | null) ?? null,
    userAgent: (row.user_agent as string | null) ?? null,
    country: (row.country as string | null) ?? null,
    city: (row.city as string | null) ?? null,
    latitude: (row.latitude as number | null) ?? null,
    longitude: (row.longitude as number | null) ?? null,
    requestId: (row.request_id as string | null) ?? null,
    details: JSON.parse((row.details as string | null) ?? "{}") as Record<string, unknown>,
    resolutionNote: (row.resolution_note as string | null) ?? null,
    updatedBy: (row.updated_by as string | null) ?? null,
    createdAt: row.created_at as number,
    updatedAt: row.updated_at as number,
  }));
}

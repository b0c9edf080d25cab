import { env } from "cloudflare:workers";
import type { AuditRow } from "../../src/lib/audit/present";

/** Polls until `check` stops throwing (for writes made after the response with waitUntil). */
export async function eventually<T>(check: () => Promise<T>, timeoutMs = 3000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    try {
      return await check();
    } catch (error) {
      if (Date.now() > deadline) throw error;
      await new Promise((resolve) => setTimeout(resolve, 25));
    }
  }
}

export async function auditRows(where: { action: string; targetId?: string; actorId?: string; requestId?: string }): Promise<AuditRow[]> {
  const clauses = ["action = ?"];
  const binds: unknown[] = [where.action];
  if (where.targetId) {
    clauses.push("target_id = ?");
    binds.push(where.targetId);
  }
  if (where.actorId) {
    clauses.push("actor_id = ?");
    binds.push(where.actorId);
  }
  if (where.requestId) {
    clauses.push("request_id = ?");
    binds.push(where.requestId);
  }
  const { results } = await env.DB.prepare(`SELECT * FROM audit_logs WHERE ${clauses.join(" AND ")} ORDER BY id`)
    .bind(...binds)
    .all<AuditRow>();
  return results;
}

export async function securityEvents(type: string, actorId: string) {
  const { results } = await env.DB.prepare("SELECT * FROM security_events WHERE type = ? AND actor_id = ? ORDER BY id")
    .bind(type, actorId)
    .all<{ id: string; type: string; severity: string; api_key_id: string | null; details: string }>();
  return results;
}

/** A cookie header value from the Set-Cookie lines of a response. */
export function cookiesFrom(res: Response): Record<string, string> {
  const out: Record<string, string> = {};
  for (const line of res.headers.getSetCookie()) {
    const [pair] = line.split(";");
    const index = pair!.indexOf("=");
    out[pair!.slice(0, index)] = pair!.slice(index + 1);
  }
  return out;
}

export const cookieHeader = (cookies: Record<string, string>) =>
  Object.entries(cookies)
    .map(([name, value]) => `${name}=${value}`)
    .join("; ");

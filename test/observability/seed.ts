import { env } from "cloudflare:workers";
import { createDb } from "../../src/db";
import { auditLogs, type NewAuditLog } from "../../src/db/schema";
import { newId } from "../../src/lib/ids";
import { clock } from "../../src/lib/clock";

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

/** Inserts raw metric points directly (known inputs for the query tests). */
export async function seedMetric(name: string, points: { value: number; timestamp: number; tags?: Record<string, string> }[]) {
  const statements = points.map((point) => {
    const tags = point.tags ?? {};
    const tagsKey = Object.keys(tags)
      .sort()
      .map((key) => `${key}=${tags[key]}`)
      .join(",");
    return env.DB.prepare("INSERT INTO system_metrics (name, value, tags, tags_key, timestamp) VALUES (?, ?, ?, ?, ?)").bind(
      name,
      point.value,
      JSON.stringify(tags),
      tagsKey,
      point.timestamp,
    );
  });
  for (let i = 0; i < statements.length; i += 200) await env.DB.batch(statements.slice(i, i + 200));
}

import { env } from "cloudflare:workers";
import { eq } from "drizzle-orm";
import { describe, expect, it } from "vitest";
import { auditEntry, auditInsert, diffChanges } from "../../src/lib/audit/writer";
import { auditLogs, users } from "../../src/db/schema";
import { newId } from "../../src/lib/ids";
import { createDb } from "../../src/db";
import { testApp } from "../helpers/test-app";

const db = createDb(env.DB);

function userRow(email: string) {
  return { id: newId("user"), email, name: "Audit Test", passwordHash: "x", createdAt: 1, updatedAt: 1 };
}

describe("a mutation and its audit row in one batch", () => {
  function app() {
    const t = testApp();
    t.app.post("/things/:mode", async (c) => {
      const row = userRow(`batch-${c.req.param("mode")}@proctor.test`);
      const audit = auditEntry(c, { action: "user.updated", target: { type: "user", id: row.id }, after: row });
      if (c.req.param("mode") === "fail") {
        // An audit id that already exists: the audit insert fails, so the user insert must roll back.
        const [existing] = await c.var.db.select({ id: auditLogs.id }).from(auditLogs).limit(1);
        audit.id = existing!.id;
      }
      await c.var.db.batch([c.var.db.insert(users).values(row), c.var.db.insert(auditLogs).values(audit)]);
      return c.json({ id: row.id, auditId: audit.id }, 201);
    });
    return t;
  }

  it("writes both rows, the audit row carrying request context", async () => {
    const res = await app().request("/things/ok", {
      method: "POST",
      headers: { "CF-Connecting-IP": "203.0.113.9", "User-Agent": "vitest", "X-Request-Id": "audit-test-0001" },
    });
    expect(res.status).toBe(201);
    const { id, auditId } = (await res.json()) as { id: string; auditId: string };
    const [audit] = await db.select().from(auditLogs).where(eq(auditLogs.id, auditId));
    expect(audit).toMatchObject({
      action: "user.updated",
      status: "SUCCESS",
      actorType: "system",
      targetType: "user",
      targetId: id,
      ip: "203.0.113.9",
      userAgent: "vitest",
      requestId: res.headers.get("Proctor-Request-Id"),
      clientRequestId: "audit-test-0001",
    });
    expect(audit!.requestId).toMatch(/^req_/);
    expect(audit!.changes?.after).toMatchObject({ email: "batch-ok@proctor.test", passwordHash: "[REDACTED]" });
    expect(await db.select().from(users).where(eq(users.id, id))).toHaveLength(1);
  });

  it("leaves neither row when one statement fails", async () => {
    const before = await env.DB.prepare("SELECT COUNT(*) AS n FROM audit_logs").first<{ n: number }>();
    const res = await app().request("/things/fail", { method: "POST" });
    expect(res.status).toBe(500);
    expect(await db.select().from(users).where(eq(users.email, "batch-fail@proctor.test"))).toHaveLength(0);
    const after = await env.DB.prepare("SELECT COUNT(*) AS n FROM audit_logs").first<{ n: number }>();
    expect(after!.n).toBe(before!.n);
  });

  it("auditInsert is an un-executed statement usable in db.batch", async () => {
    const t = testApp();
    t.app.post("/insert", async (c) => {
      await c.var.db.batch([
        auditInsert(c, { action: "admin.action", metadata: { apiKey: "pk_live_abcdefghijklmnopqrstuvwxyz", note: "ok" } }),
      ]);
      return c.body(null, 204);
    });
    const res = await t.request("/insert", { method: "POST", headers: { "X-Request-Id": "audit-insert-0001" } });
    expect(res.status).toBe(204);
    const [row] = await db.select().from(auditLogs).where(eq(auditLogs.clientRequestId, "audit-insert-0001"));
    expect(row!.metadata).toEqual({ apiKey: "[REDACTED]", note: "ok" });
  });
});

describe("diffChanges", () => {
  it("keeps only the fields that changed", () => {
    expect(diffChanges({ a: 1, b: 2, c: [1] }, { a: 1, b: 3, c: [1, 2] })).toEqual({
      before: { b: 2, c: [1] },
      after: { b: 3, c: [1, 2] },
    });
  });
  it("handles creation and deletion", () => {
    expect(diffChanges(null, { a: 1 })).toEqual({ after: { a: 1 } });
    expect(diffChanges({ a: 1 }, null)).toEqual({ before: { a: 1 } });
    expect(diffChanges(null, null)).toBeNull();
  });
});

import { env } from "cloudflare:workers";
import { beforeAll, describe, expect, it } from "vitest";
import type { NewAuditLog } from "../../src/db/schema";
import { createApiKey, createUser, type TestUser } from "../helpers/auth";
import { call, problemOf } from "../helpers/http";
import { seedAudit } from "./seed";

const HOUR = 3_600_000;
const iso = (ms: number) => new Date(ms).toISOString();

interface Entry {
  id: string;
  action: string;
  actorId: string | null;
  createdAt: string;
  [key: string]: unknown;
}

const tag = crypto.randomUUID().slice(0, 8);
const base = Math.floor(Date.now() / HOUR) * HOUR - 30 * HOUR;
let admin: TestUser;
let rows: NewAuditLog[];

beforeAll(async () => {
  admin = await createUser({ role: "admin" });
  rows = await seedAudit([
    { action: "question.created", actorId: `usr_a${tag}`, targetType: "question", targetId: `qst_1${tag}`, createdAt: base + 1000 },
    {
      action: "question.updated",
      actorId: `usr_a${tag}`,
      targetType: "question",
      targetId: `qst_1${tag}`,
      createdAt: base + 2000,
      changes: { before: { title: "Old", points: 1 }, after: { title: "New", points: 2 } },
    },
    { action: "auth.login_failed", status: "FAILURE", actorId: `usr_b${tag}`, ip: "198.51.100.7", country: "FR", createdAt: base + 3000 },
    {
      action: "api_key.created",
      actorType: "api_key",
      actorId: `usr_b${tag}`,
      apiKeyId: `key_1${tag}`,
      targetType: "api_key",
      targetId: `key_1${tag}`,
      createdAt: base + HOUR,
      metadata: { note: `needle-${tag}` },
    },
    {
      action: "test.published",
      actorId: `usr_c${tag}`,
      targetType: "test",
      targetId: `tst_9${tag}`,
      requestId: `req-${tag}`,
      createdAt: base + 2 * HOUR,
    },
  ]);
});

async function search(query: string): Promise<Entry[]> {
  const res = await call(`/v1/admin/audit-logs?limit=100&${query}`, { headers: admin.headers });
  expect(res.status, await res.clone().text()).toBe(200);
  return ((await res.json()) as { data: Entry[] }).data;
}

const ids = (entries: Entry[]) => entries.map((entry) => entry.id);
const seeded = (...indexes: number[]) => indexes.map((i) => rows[i]!.id);

describe("audit log search", () => {
  it("filters by every field, newest first", async () => {
    const window = `from=${iso(base)}&to=${iso(base + 3 * HOUR)}`;
    expect(ids(await search(`actorId=usr_a${tag}`))).toEqual(seeded(1, 0));
    expect(ids(await search(`apiKeyId=key_1${tag}`))).toEqual(seeded(3));
    expect(ids(await search(`action=question.updated&${window}`)).filter((id) => seeded(1).includes(id))).toEqual(seeded(1));
    expect(ids(await search(`targetType=question&targetId=qst_1${tag}`))).toEqual(seeded(1, 0));
    expect(ids(await search(`targetId=tst_9${tag}`))).toEqual(seeded(4));
    expect(ids(await search(`status=FAILURE&actorId=usr_b${tag}`))).toEqual(seeded(2));
    expect(ids(await search(`ip=198.51.100.7&${window}`))).toEqual(seeded(2));
    expect(ids(await search(`country=fr&${window}`))).toEqual(seeded(2));
    expect(ids(await search(`requestId=req-${tag}`))).toEqual(seeded(4));
    expect(ids(await search(`actorType=api_key&actorId=usr_b${tag}`))).toEqual(seeded(3));
    expect(ids(await search(`q=needle-${tag}`))).toEqual(seeded(3));
    expect(ids(await search(`q=${tag}&from=${iso(base + HOUR)}&to=${iso(base + 2 * HOUR)}`))).toEqual(seeded(3));
    expect(await search(`q=${encodeURIComponent("%")}${tag}`)).toEqual([]);
  });

  it("pages with a stable cursor", async () => {
    const seen: string[] = [];
    let cursor: string | null = null;
    do {
      const res = await call(`/v1/admin/audit-logs?q=${tag}&limit=2${cursor ? `&cursor=${cursor}` : ""}`, { headers: admin.headers });
      const page = (await res.json()) as { data: Entry[]; nextCursor: string | null };
      seen.push(...ids(page.data));
      cursor = page.nextCursor;
    } while (cursor);
    expect(seen).toEqual(seeded(4, 3, 2, 1, 0));
  });

  it("shows one entry with its field-level diff", async () => {
    const res = await call(`/v1/admin/audit-logs/${rows[1]!.id}`, { headers: admin.headers });
    const { auditLog } = (await res.json()) as { auditLog: Entry & { diff: unknown[] } };
    expect(auditLog).toMatchObject({ id: rows[1]!.id, action: "question.updated", createdAt: iso(base + 2000) });
    expect(auditLog.diff).toEqual([
      { field: "points", kind: "changed", before: 1, after: 2 },
      { field: "title", kind: "changed", before: "Old", after: "New" },
    ]);
    const missing = await call("/v1/admin/audit-logs/aud_01JD5Z8Q0000000000000000AB", { headers: admin.headers });
    expect((await problemOf(missing)).code).toBe("not_found");
  });

  it("records real audited actions with actor, IP and geography", async () => {
    const res = await call(`/v1/admin/audit-logs?actorId=${admin.user.id}&action=auth.login`, { headers: admin.headers });
    const { data } = (await res.json()) as { data: Entry[] };
    expect(data.length).toBeGreaterThan(0);
    expect(data[0]).toMatchObject({ actorId: admin.user.id, action: "auth.login" });
  });

  it("admits admins and audit:read keys only, and rejects bad filters", async () => {
    expect((await problemOf(await call("/v1/admin/audit-logs"))).code).toBe("unauthenticated");
    const student = await createUser();
    expect((await problemOf(await call("/v1/admin/audit-logs", { headers: student.headers }))).code).toBe("insufficient_scope");
    const reader = await createApiKey(admin.headers, { scopes: ["audit:read"] });
    expect((await call(`/v1/admin/audit-logs?q=${tag}`, { headers: reader.headers })).status).toBe(200);
    const other = await createApiKey(admin.headers, { scopes: ["questions:read"] });
    expect((await problemOf(await call("/v1/admin/audit-logs", { headers: other.headers }))).code).toBe("insufficient_scope");

    const bad = await problemOf(
      await call(`/v1/admin/audit-logs?action=drop.tables&status=MAYBE&country=France&from=yesterday&limit=1000&sort=asc`, {
        headers: admin.headers,
      }),
    );
    expect(bad.code).toBe("validation_failed");
    expect(bad.errors!.map((e) => e.path).sort()).toEqual(["(root)", "action", "country", "from", "limit", "status"]);
    expect(bad.errors!.find((e) => e.path === "(root)")!.message).toContain("sort");
    const backwards = await problemOf(
      await call(`/v1/admin/audit-logs?from=${iso(base + HOUR)}&to=${iso(base)}`, { headers: admin.headers }),
    );
    expect(backwards.errors![0]!.path).toBe("to");
    expect((await problemOf(await call("/v1/admin/audit-logs?cursor=not-a-cursor", { headers: admin.headers }))).code).toBe(
      "validation_failed",
    );
    const row = await env.DB.prepare("SELECT COUNT(*) AS n FROM audit_logs").first<{ n: number }>();
    expect(row!.n).toBeGreaterThan(0);
  });
});

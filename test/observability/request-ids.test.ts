import { env } from "cloudflare:workers";
import { describe, expect, it, vi } from "vitest";
import { AUDIT_COLUMNS, type AuditRow } from "../../src/lib/audit/present";
import { rowHash } from "../../src/lib/audit/seal";
import { MAINTENANCE_CRON, runCron } from "../../workers/cron";
import { createUser } from "../helpers/auth";
import { call, problemOf, sendJson } from "../helpers/http";
import { testApp } from "../helpers/test-app";
import { seedAudit } from "./seed";

/**
 * Request ids cannot be borrowed: a client's valid X-Request-Id is echoed and logged as its
 * correlation id, while audit and error rows key on an id the server made. Both are searchable.
 */

const SERVER_ID = /^req_[0-9A-Z]{26}$/;
const HOUR = 3_600_000;

const auditFor = async (requestId: string) =>
  (
    await env.DB.prepare("SELECT request_id, client_request_id, action FROM audit_logs WHERE request_id = ?").bind(requestId).all<{
      request_id: string;
      client_request_id: string | null;
      action: string;
    }>()
  ).results;

async function searchAudit(query: string, headers: Record<string, string>) {
  const res = await call(`/v1/admin/audit-logs?limit=100&${query}`, { headers });
  expect(res.status, await res.clone().text()).toBe(200);
  return ((await res.json()) as { data: { requestId: string; clientRequestId: string | null; actorId: string }[] }).data;
}

/** Letters the error fingerprint keeps as they are, so each test's error groups on its own. */
const label = () => Array.from(crypto.getRandomValues(new Uint8Array(10)), (byte) => "ghijklmnopqrstuvwxyz"[byte % 20]).join("");

describe("the two ids of a request", () => {
  it("echoes the client's id, always sends the server's, and files the audit row under the server's", async () => {
    const user = await createUser();
    const clientId = `client-corr-${crypto.randomUUID()}`;
    const res = await sendJson("/v1/me", "PATCH", { name: "Correlated" }, { ...user.headers, "X-Request-Id": clientId });
    expect(res.status).toBe(200);
    expect(res.headers.get("X-Request-Id")).toBe(clientId);
    const serverId = res.headers.get("Proctor-Request-Id")!;
    expect(serverId).toMatch(SERVER_ID);
    expect(await auditFor(serverId)).toEqual([{ request_id: serverId, client_request_id: clientId, action: "user.updated" }]);
  });

  it("without a client id, both headers carry the server's, and problems name it", async () => {
    const res = await call("/v1/nothing-here");
    const serverId = res.headers.get("Proctor-Request-Id")!;
    expect(serverId).toMatch(SERVER_ID);
    expect(res.headers.get("X-Request-Id")).toBe(serverId);
    expect((await problemOf(res)).requestId).toBe(serverId);
    const withClientId = await call("/v1/nothing-here", { headers: { "X-Request-Id": "client-trace-404" } });
    expect((await problemOf(withClientId)).requestId).toBe(withClientId.headers.get("Proctor-Request-Id"));
  });

  it("exposes the server's id to browsers", async () => {
    const res = await call("/health", { headers: { Origin: "http://localhost:5173" } });
    expect(res.headers.get("Access-Control-Expose-Headers")).toContain("Proctor-Request-Id");
  });
});

describe("borrowing another request's id", () => {
  it("files nothing under it: the borrower's rows get their own server id", async () => {
    const admin = await createUser({ role: "admin" });
    const victim = await createUser();
    const attacker = await createUser();
    const original = await sendJson("/v1/me", "PATCH", { name: "Original" }, victim.headers);
    const victimId = original.headers.get("Proctor-Request-Id")!;

    const borrowed = await sendJson("/v1/me", "PATCH", { name: "Borrower" }, { ...attacker.headers, "X-Request-Id": victimId });
    expect(borrowed.headers.get("X-Request-Id")).toBe(victimId); // echoed back to its sender, nothing more
    const attackerId = borrowed.headers.get("Proctor-Request-Id")!;
    expect(attackerId).not.toBe(victimId);

    const underVictimId = await searchAudit(`requestId=${victimId}`, admin.headers);
    expect(underVictimId.map((row) => row.actorId)).toEqual([victim.user.id]);
    const byClientId = await searchAudit(`clientRequestId=${victimId}`, admin.headers);
    expect(byClientId).toEqual([expect.objectContaining({ requestId: attackerId, clientRequestId: victimId, actorId: attacker.user.id })]);
    // Free-text search finds both, telling them apart.
    expect((await searchAudit(`q=${victimId}`, admin.headers)).map((row) => row.requestId).sort()).toEqual([attackerId, victimId].sort());
  });

  it("hostile ids are neither echoed, stored nor logged", async () => {
    const user = await createUser();
    const hostile = [
      "has spaces in it",
      "<script>alert(1)</script>",
      "x".repeat(129),
      "short",
      "req_'; DROP TABLE audit_logs;--",
      "trace%0d%0aSet-Cookie",
    ];
    const { request } = testApp();
    const verbose = { ...env, LOG_LEVEL: "debug", REQUEST_LOG: "all" };
    const lines: string[] = [];
    const record = (...args: unknown[]) => void lines.push(args.map(String).join(" "));
    const spies = (["log", "info", "warn", "error", "debug"] as const).map((method) =>
      vi.spyOn(console, method).mockImplementation(record),
    );
    try {
      for (const value of hostile) {
        const res = await request(
          "/v1/me",
          {
            method: "PATCH",
            headers: { "Content-Type": "application/json", ...user.headers, "X-Request-Id": value },
            body: JSON.stringify({ name: "Hostile" }),
          },
          verbose,
        );
        expect(res.status).toBe(200);
        const serverId = res.headers.get("Proctor-Request-Id")!;
        expect(res.headers.get("X-Request-Id")).toBe(serverId);
        expect(await auditFor(serverId)).toEqual([expect.objectContaining({ client_request_id: null })]);
      }
    } finally {
      for (const spy of spies) spy.mockRestore();
    }
    expect(lines.length).toBeGreaterThan(0);
    for (const value of hostile) expect(lines.join("\n")).not.toContain(value);
  });

  it("concurrent requests sharing one client id each get their own server id and row", async () => {
    const admin = await createUser({ role: "admin" });
    const user = await createUser();
    const clientId = `shared-${crypto.randomUUID()}`;
    const results = await Promise.all(
      Array.from({ length: 8 }, (_, i) =>
        sendJson("/v1/me", "PATCH", { name: `Racer ${i}` }, { ...user.headers, "X-Request-Id": clientId }),
      ),
    );
    const serverIds = results.map((res) => res.headers.get("Proctor-Request-Id")!);
    expect(new Set(serverIds).size).toBe(8);
    const rows = await searchAudit(`clientRequestId=${clientId}`, admin.headers);
    expect(rows.map((row) => row.requestId).sort()).toEqual([...serverIds].sort());
  });
});

describe("error rows", () => {
  it("key on the server's id, keep the client's, and are searchable by either", async () => {
    const admin = await createUser({ role: "admin" });
    const { app, request } = testApp();
    app.get("/__test/broken", (c) => {
      throw new Error(`ledger ${c.req.query("label")} is unbalanced`);
    });
    const tag = label();
    const clientId = `client-err-${crypto.randomUUID()}`;
    const res = await request(`/__test/broken?label=${tag}`, { headers: { "X-Request-Id": clientId } });
    expect(res.status).toBe(500);
    const serverId = res.headers.get("Proctor-Request-Id")!;
    expect((await problemOf(res)).requestId).toBe(serverId);

    const find = async (query: string) => {
      const found = await call(`/v1/admin/errors?${query}`, { headers: admin.headers });
      expect(found.status).toBe(200);
      return ((await found.json()) as { data: { message: string; requestId: string; clientRequestId: string | null }[] }).data;
    };
    const byServer = await find(`requestId=${serverId}`);
    expect(byServer).toEqual([
      expect.objectContaining({ message: `ledger ${tag} is unbalanced`, requestId: serverId, clientRequestId: clientId }),
    ]);
    expect(await find(`clientRequestId=${clientId}`)).toEqual(byServer);
    expect(await find(`requestId=${clientId}`)).toEqual([]);
  });

  it("refuse an overlong id filter", async () => {
    const admin = await createUser({ role: "admin" });
    for (const path of ["/v1/admin/errors", "/v1/admin/audit-logs"]) {
      const res = await call(`${path}?clientRequestId=${"c".repeat(129)}`, { headers: admin.headers });
      expect(res.status, path).toBe(400);
    }
  });
});

describe("the audit seal", () => {
  it("hashes a row without a client id exactly as before the column existed", async () => {
    const [row] = await seedAudit([{ action: "test.updated", requestId: "req_01JD0000000000000000000000" }]);
    const stored = await env.DB.prepare(`SELECT * FROM audit_logs WHERE id = ?`).bind(row!.id).first<AuditRow>();
    const before = JSON.stringify(AUDIT_COLUMNS.map((column) => stored![column]));
    const digest = new Uint8Array(await crypto.subtle.digest("SHA-256", new TextEncoder().encode(before)));
    expect(await rowHash(stored!)).toBe(Array.from(digest, (byte) => byte.toString(16).padStart(2, "0")).join(""));
    expect(await rowHash({ ...stored!, client_request_id: "client-x-123" })).not.toBe(await rowHash(stored!));
  });

  it("seals the client id: changing it afterwards is caught", async () => {
    const admin = await createUser({ role: "admin" });
    const start = Math.floor(Date.now() / HOUR) * HOUR - 8 * HOUR;
    const rows = await seedAudit([
      { action: "test.updated", requestId: "req_01JD0000000000000000000001", clientRequestId: "client-sealed-1", createdAt: start + 1000 },
      { action: "test.updated", requestId: "req_01JD0000000000000000000002", createdAt: start + 2000 },
    ]);
    await runCron(MAINTENANCE_CRON, env);
    const verify = async () => {
      const res = await call(
        `/v1/admin/audit-logs/verify?from=${new Date(start).toISOString()}&to=${new Date(start + HOUR).toISOString()}`,
        {
          headers: admin.headers,
        },
      );
      return (await res.json()) as { ok: boolean; findings: { firstBadRowId: string | null }[] };
    };
    expect((await verify()).ok).toBe(true);
    await env.DB.prepare("UPDATE audit_logs SET client_request_id = 'client-forged-1' WHERE id = ?").bind(rows[0]!.id).run();
    const report = await verify();
    expect(report.ok).toBe(false);
    expect(report.findings[0]!.firstBadRowId).toBe(rows[0]!.id);
  });
});

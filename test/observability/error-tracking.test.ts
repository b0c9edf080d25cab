import { env } from "cloudflare:workers";
import { describe, expect, it } from "vitest";
import { createUser } from "../helpers/auth";
import { call, problemOf, sendJson } from "../helpers/http";
import { testApp } from "../helpers/test-app";
import { ApiError } from "../../src/lib/errors";
import { fingerprintOf, normaliseMessage, topFrame } from "../../src/lib/monitoring/fingerprint";

interface ErrorRow {
  id: string;
  severity: string;
  message: string;
  errorType: string;
  fingerprint: string;
  occurrences: number;
  source: string;
  resolved: boolean;
  resolvedBy: string | null;
  resolutionNote: string | null;
  firstSeenAt: string;
  lastSeenAt: string;
  headers?: Record<string, string>;
  body?: string | null;
  stack?: string | null;
}

function failingApp() {
  const { app, request } = testApp();
  app.post("/__test/orders/:id", async (c) => {
    await c.req.json();
    throw new Error(`order ${c.req.param("id")} could not be charged: ${c.req.query("label")}`);
  });
  app.get("/__test/log-error", (c) => {
    c.var.logger.error(`payment provider down ${c.req.query("label")}`, { attempt: 3 });
    return c.json({ ok: true });
  });
  app.get("/__test/api-error", () => {
    throw new ApiError("service_unavailable", "the grader is down");
  });
  return request;
}

async function errorsMatching(q: string, headers: Record<string, string>): Promise<ErrorRow[]> {
  const res = await call(`/v1/admin/errors?q=${encodeURIComponent(q)}`, { headers });
  expect(res.status).toBe(200);
  return ((await res.json()) as { data: ErrorRow[] }).data;
}

describe("fingerprints", () => {
  it("normalise ids, numbers and quoted values, and keep only the top frame's location", () => {
    expect(normaliseMessage('User usr_01JD5Z8Q0000000000000000AB not found after 3 tries: "x@y.z"')).toBe(
      "User <id> not found after <n> tries: <str>",
    );
    expect(topFrame("Error: x\n    at charge (file:///src/billing.ts:10:5)\n    at other (b.ts:1:1)")).toBe(
      "at charge (file:///src/billing.ts)",
    );
    const a = fingerprintOf("Error", "order 12 failed", "Error\n    at f (a.ts:1:1)");
    expect(fingerprintOf("Error", "order 99 failed", "Error\n    at f (a.ts:7:3)")).toBe(a);
    expect(fingerprintOf("TypeError", "order 12 failed", "Error\n    at f (a.ts:1:1)")).not.toBe(a);
    expect(fingerprintOf("Error", "order 12 failed", "Error\n    at g (a.ts:1:1)")).not.toBe(a);
  });
});

describe("error tracking", () => {
  it("groups repeats of one error into one row, counting occurrences, with the redacted request", async () => {
    const admin = await createUser({ role: "admin" });
    const request = failingApp();
    const label = `grp${crypto.randomUUID().slice(0, 8)}`;
    for (const id of ["101", "202", "303"]) {
      const res = await request(`/__test/orders/${id}?label=${label}`, {
        method: "POST",
        headers: { "Content-Type": "application/json", ...admin.headers, Cookie: "a=b" },
        body: JSON.stringify({ card: "4242", password: "pw-secret-1" }),
      });
      expect(res.status).toBe(500);
      const problem = await problemOf(res);
      expect(problem.code).toBe("internal_error");
      expect(problem.detail).not.toContain("charged");
    }
    const rows = await errorsMatching(label, admin.headers);
    expect(rows).toHaveLength(1);
    expect(rows[0]).toMatchObject({ severity: "CRITICAL", errorType: "Error", occurrences: 3, source: "fetch", resolved: false });

    const detail = await call(`/v1/admin/errors/${rows[0]!.id}`, { headers: admin.headers });
    const { error } = (await detail.json()) as { error: ErrorRow };
    expect(error.headers?.authorization).toBe("[REDACTED]");
    expect(error.headers?.cookie).toBe("[REDACTED]");
    expect(JSON.parse(error.body!)).toEqual({ card: "4242", password: "[REDACTED]" });
    expect(JSON.stringify(error)).not.toContain(admin.token);
    expect(error.stack).toContain("could not be charged");
    expect(error.message).toBe(`order 303 could not be charged: ${label}`);
  });

  it("records error log lines too, and 5xx ApiErrors as ERROR", async () => {
    const admin = await createUser({ role: "admin" });
    const request = failingApp();
    const label = `log${crypto.randomUUID().slice(0, 8)}`;
    expect((await request(`/__test/log-error?label=${label}`)).status).toBe(200);
    expect((await request(`/__test/log-error?label=${label}`)).status).toBe(200);
    const [row] = await errorsMatching(label, admin.headers);
    expect(row).toMatchObject({ severity: "ERROR", errorType: "LogError", occurrences: 2, message: `payment provider down ${label}` });

    expect((await request("/__test/api-error")).status).toBe(503);
    const [apiRow] = await errorsMatching("the grader is down", admin.headers);
    expect(apiRow).toMatchObject({ severity: "ERROR", errorType: "ApiError" });
  });

  it("resolves with a note (audited) and reopens when the error happens again", async () => {
    const admin = await createUser({ role: "admin" });
    const request = failingApp();
    const label = `reo${crypto.randomUUID().slice(0, 8)}`;
    const fire = () =>
      request(`/__test/orders/1?label=${label}`, { method: "POST", headers: { "Content-Type": "application/json" }, body: "{}" });
    await fire();
    const [row] = await errorsMatching(label, admin.headers);

    const resolved = await sendJson(`/v1/admin/errors/${row!.id}/resolve`, "POST", { note: "fixed in 0.1.1" }, admin.headers);
    expect(resolved.status).toBe(200);
    expect(((await resolved.json()) as { error: ErrorRow }).error).toMatchObject({
      resolved: true,
      resolvedBy: admin.user.id,
      resolutionNote: "fixed in 0.1.1",
    });
    const again = await sendJson(`/v1/admin/errors/${row!.id}/resolve`, "POST", {}, admin.headers);
    expect((await problemOf(again)).code).toBe("conflict");

    const audit = await env.DB.prepare("SELECT actor_id, changes FROM audit_logs WHERE action = 'error.resolved' AND target_id = ?")
      .bind(row!.id)
      .first<{ actor_id: string; changes: string }>();
    expect(audit?.actor_id).toBe(admin.user.id);
    expect(JSON.parse(audit!.changes).after).toMatchObject({ resolvedBy: admin.user.id, resolutionNote: "fixed in 0.1.1" });

    const onlyResolved = await call(`/v1/admin/errors?resolved=true&q=${label}`, { headers: admin.headers });
    expect(((await onlyResolved.json()) as { data: ErrorRow[] }).data).toHaveLength(1);

    await fire();
    const [reopened] = await errorsMatching(label, admin.headers);
    expect(reopened).toMatchObject({ id: row!.id, resolved: false, occurrences: 2 });
    const onlyOpen = await call(`/v1/admin/errors?resolved=false&severity=critical&q=${label}`, { headers: admin.headers });
    expect(((await onlyOpen.json()) as { data: ErrorRow[] }).data.map((r) => r.id)).toEqual([row!.id]);
  });

  it("pages with a cursor and filters by time", async () => {
    const admin = await createUser({ role: "admin" });
    const request = failingApp();
    const label = `pg${crypto.randomUUID().slice(0, 8)}`;
    for (let i = 0; i < 3; i++) await request(`/__test/log-error?label=${label}-${"abc"[i]}`);
    const first = (await (await call(`/v1/admin/errors?limit=2&q=${label}`, { headers: admin.headers })).json()) as {
      data: ErrorRow[];
      nextCursor: string;
    };
    expect(first.data).toHaveLength(2);
    const second = (await (
      await call(`/v1/admin/errors?limit=2&q=${label}&cursor=${first.nextCursor}`, { headers: admin.headers })
    ).json()) as { data: ErrorRow[]; nextCursor: string | null };
    expect(second.data).toHaveLength(1);
    expect(second.nextCursor).toBeNull();
    const future = new Date(Date.now() + 3_600_000).toISOString();
    const none = await call(`/v1/admin/errors?q=${label}&from=${encodeURIComponent(future)}`, { headers: admin.headers });
    expect(((await none.json()) as { data: ErrorRow[] }).data).toHaveLength(0);
  });

  it("is for admins only and validates its input", async () => {
    const student = await createUser();
    expect((await problemOf(await call("/v1/admin/errors"))).code).toBe("unauthenticated");
    expect((await problemOf(await call("/v1/admin/errors", { headers: student.headers }))).code).toBe("insufficient_scope");
    const admin = await createUser({ role: "admin" });
    const bad = await problemOf(await call("/v1/admin/errors?severity=loud&resolved=maybe&limit=0", { headers: admin.headers }));
    expect(bad.code).toBe("validation_failed");
    expect(bad.errors!.map((e) => e.path).sort()).toEqual(["limit", "resolved", "severity"]);
    expect((await problemOf(await call("/v1/admin/errors/err_01JD5Z8Q0000000000000000AB", { headers: admin.headers }))).code).toBe(
      "not_found",
    );
    expect((await problemOf(await call("/v1/admin/errors/' OR 1=1 --", { headers: admin.headers }))).code).toBe("validation_failed");
    const extra = await sendJson(
      "/v1/admin/errors/err_01JD5Z8Q0000000000000000AB/resolve",
      "POST",
      { note: "x", resolvedBy: "me" },
      admin.headers,
    );
    expect((await problemOf(extra)).code).toBe("validation_failed");
  });
});

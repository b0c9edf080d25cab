import { env } from "cloudflare:workers";
import { describe, expect, it } from "vitest";
import { clock } from "../../src/lib/clock";
import { sha256Hex } from "../../src/lib/auth/tokens";
import { createApiKey, createUser } from "../helpers/auth";
import { call, problemOf, sendJson } from "../helpers/http";
import { auditRows, eventually, securityEvents } from "./support";

interface KeyView {
  id: string;
  name: string;
  prefix: string;
  key?: string;
  scopes: string[];
  status: string;
  usageCount: number;
  lastUsedAt: string | null;
  expiresAt: string | null;
  rateLimit: { limit: number; windowSeconds: number } | null;
  previousKeyExpiresAt: string | null;
  createdAt: string;
}

const getKey = async (id: string, headers: Record<string, string>) =>
  (await (await call(`/v1/api-keys/${id}`, { headers })).json()) as KeyView;

describe("POST /v1/api-keys", () => {
  it("creates a key shown once, stores only its hash and audits the creation", async () => {
    const owner = await createUser();
    const res = await sendJson(
      "/v1/api-keys",
      "POST",
      { name: "CI", scopes: ["questions:read", "tests:read"], rateLimit: { limit: 100, windowSeconds: 60 } },
      owner.headers,
    );
    expect(res.status).toBe(201);
    expect(res.headers.get("Cache-Control")).toBe("no-store");
    const body = (await res.json()) as KeyView;
    expect(body.key).toMatch(/^pk_[1-9A-HJ-NP-Za-km-z]{40,50}$/);
    expect(body.prefix).toBe(body.key!.slice(0, 11));
    expect(body).toMatchObject({
      name: "CI",
      scopes: ["questions:read", "tests:read"],
      status: "active",
      expiresAt: null,
      rateLimit: { limit: 100, windowSeconds: 60 },
    });
    expect(body.id).toMatch(/^key_/);

    const row = await env.DB.prepare("SELECT key_hash FROM api_keys WHERE id = ?").bind(body.id).first<{ key_hash: string }>();
    expect(row!.key_hash).toBe(await sha256Hex(body.key!));

    const listed = await getKey(body.id, owner.headers);
    expect(listed.key).toBeUndefined();
    expect(JSON.stringify(listed)).not.toContain(row!.key_hash);

    const [audit] = await auditRows({ action: "api_key.created", targetId: body.id });
    expect(audit).toMatchObject({ status: "SUCCESS", actor_id: owner.user.id });
    expect(JSON.stringify(audit)).not.toContain(body.key!);
    expect(JSON.stringify(audit)).not.toContain(row!.key_hash);
  });

  it("authenticates with the key, carrying only its scopes", async () => {
    const owner = await createUser();
    const key = await createApiKey(owner.headers, { scopes: ["profile:read", "questions:read"] });
    const res = await call("/v1/me", { headers: key.headers });
    expect(res.status).toBe(200);
    expect(((await res.json()) as { auth: unknown }).auth).toEqual({
      kind: "api_key",
      scopes: ["profile:read", "questions:read"],
      apiKeyId: key.id,
    });
  });

  it("refuses to grant a scope the caller's role does not hold, naming it", async () => {
    const student = await createUser();
    const res = await sendJson("/v1/api-keys", "POST", { name: "x", scopes: ["questions:read", "admin:write"] }, student.headers);
    expect(res.status).toBe(403);
    const problem = await problemOf(res);
    expect(problem).toMatchObject({ code: "insufficient_scope", scope: "admin:write" });
    expect(problem.detail).toContain("admin:write");
    const [audit] = await auditRows({ action: "api_key.created", requestId: problem.requestId });
    expect(audit!.status).toBe("FAILURE");
  });

  it("lets an instructor grant instructor scopes, and an admin admin scopes", async () => {
    const instructor = await createUser({ role: "instructor" });
    await createApiKey(instructor.headers, { scopes: ["questions:write", "webhooks:manage"] });
    const admin = await createUser({ role: "admin" });
    await createApiKey(admin.headers, { scopes: ["admin:read", "audit:read"] });
  });

  it("a key can only mint keys within its own scopes", async () => {
    const owner = await createUser();
    const manager = await createApiKey(owner.headers, { scopes: ["api_keys:manage", "questions:read"] });
    await createApiKey(manager.headers, { scopes: ["questions:read"] });
    const res = await sendJson("/v1/api-keys", "POST", { name: "wider", scopes: ["tests:read"] }, manager.headers);
    expect(res.status).toBe(403);
    expect((await problemOf(res)).scope).toBe("tests:read");
  });

  it("validates the body: unknown scope, duplicates, past expiry, bad rate limit, unknown keys", async () => {
    const owner = await createUser();
    const bodies = [
      { name: "x", scopes: ["questions:nuke"] },
      { name: "x", scopes: ["questions:read", "questions:read"] },
      { name: "x", scopes: [] },
      { name: "x", scopes: ["questions:read"], expiresAt: "2001-01-01T00:00:00Z" },
      { name: "x", scopes: ["questions:read"], expiresAt: new Date(Date.now() + 400 * 86_400_000).toISOString() },
      { name: "x", scopes: ["questions:read"], rateLimit: { limit: 0, windowSeconds: 60 } },
      { name: "x", scopes: ["questions:read"], ownerId: "usr_01ABCDEFGHJKMNPQRSTVWXYZ00" },
      { name: "x".repeat(101), scopes: ["questions:read"] },
    ];
    for (const body of bodies) {
      const res = await sendJson("/v1/api-keys", "POST", body, owner.headers);
      expect(res.status, JSON.stringify(body)).toBe(400);
    }
  });

  it("needs authentication and the api_keys:manage scope", async () => {
    expect((await sendJson("/v1/api-keys", "POST", { name: "x", scopes: ["questions:read"] })).status).toBe(401);
    const owner = await createUser();
    const narrow = await createApiKey(owner.headers, { scopes: ["questions:read"] });
    const res = await call("/v1/api-keys", { headers: narrow.headers });
    expect(res.status).toBe(403);
    expect(await problemOf(res)).toMatchObject({ code: "insufficient_scope", scope: "api_keys:manage" });
  });
});

describe("listing and reading keys", () => {
  it("lists only the caller's keys, newest first, with cursor pagination and no secrets", async () => {
    const owner = await createUser();
    const other = await createUser();
    const otherKey = await createApiKey(other.headers, { scopes: ["questions:read"] });
    const ids: string[] = [];
    for (let i = 0; i < 3; i++) ids.push((await createApiKey(owner.headers, { scopes: ["questions:read"], name: `k${i}` })).id);

    const first = (await (await call("/v1/api-keys?limit=2", { headers: owner.headers })).json()) as {
      data: KeyView[];
      nextCursor: string;
    };
    expect(first.data.map((key) => key.id)).toEqual([ids[2], ids[1]]);
    const second = (await (await call(`/v1/api-keys?limit=2&cursor=${first.nextCursor}`, { headers: owner.headers })).json()) as {
      data: KeyView[];
      nextCursor: string | null;
    };
    expect(second.data.map((key) => key.id)).toEqual([ids[0]]);
    expect(second.nextCursor).toBeNull();
    const text = JSON.stringify([first, second]);
    expect(text).not.toContain(otherKey.id);
    expect(text).not.toMatch(/pk_[1-9A-HJ-NP-Za-km-z]{20,}/);
    expect(text).not.toMatch(/keyHash|key_hash/);
  });

  it("answers 404 for another user's key id, on read, revoke and rotate", async () => {
    const owner = await createUser();
    const stranger = await createUser();
    const key = await createApiKey(owner.headers, { scopes: ["profile:read"] });
    expect((await call(`/v1/api-keys/${key.id}`, { headers: stranger.headers })).status).toBe(404);
    expect((await call(`/v1/api-keys/${key.id}`, { method: "DELETE", headers: stranger.headers })).status).toBe(404);
    expect((await call(`/v1/api-keys/${key.id}/rotate`, { method: "POST", headers: stranger.headers })).status).toBe(404);
    expect((await call("/v1/me", { headers: key.headers })).status).toBe(200);
  });
});

describe("revocation", () => {
  it("DELETE revokes at once: 204, then key_revoked, a misuse security event and an audit row", async () => {
    const owner = await createUser();
    const key = await createApiKey(owner.headers, { scopes: ["profile:read"] });
    expect((await call("/v1/me", { headers: key.headers })).status).toBe(200); // cached now
    expect((await call(`/v1/api-keys/${key.id}`, { method: "DELETE", headers: owner.headers })).status).toBe(204);

    const res = await call("/v1/me", { headers: key.headers });
    expect(res.status).toBe(401);
    expect((await problemOf(res)).code).toBe("key_revoked");
    expect((await getKey(key.id, owner.headers)).status).toBe("revoked");

    const events = await eventually(async () => {
      const rows = await securityEvents("api_key_misuse", owner.user.id);
      expect(rows.length).toBeGreaterThan(0);
      return rows;
    });
    expect(events[0]!.api_key_id).toBe(key.id);
    // A client that keeps retrying the revoked key is reported once per minute, not once per try.
    for (let i = 0; i < 4; i++) expect((await call("/v1/me", { headers: key.headers })).status).toBe(401);
    await new Promise((resolve) => setTimeout(resolve, 100));
    expect(await securityEvents("api_key_misuse", owner.user.id)).toHaveLength(1);
    const [audit] = await auditRows({ action: "api_key.revoked", targetId: key.id });
    expect(audit!.status).toBe("SUCCESS");
    // Revoking again is a no-op, not an error.
    expect((await call(`/v1/api-keys/${key.id}`, { method: "DELETE", headers: owner.headers })).status).toBe(204);
  });

  it("a revocation made in another isolate takes effect within the 5 s cache bound", async () => {
    const owner = await createUser();
    const key = await createApiKey(owner.headers, { scopes: ["profile:read"] });
    expect((await call("/v1/me", { headers: key.headers })).status).toBe(200);
    await env.DB.prepare("UPDATE api_keys SET revoked_at = ? WHERE id = ?").bind(Date.now(), key.id).run();
    clock.advance(5_001);
    expect((await problemOf(await call("/v1/me", { headers: key.headers }))).code).toBe("key_revoked");
  });

  it("an expired key answers key_expired", async () => {
    const owner = await createUser();
    const key = await createApiKey(owner.headers, { scopes: ["profile:read"], expiresAt: new Date(Date.now() + 3_600_000).toISOString() });
    expect((await call("/v1/me", { headers: key.headers })).status).toBe(200);
    clock.advance(3_600_001);
    const res = await call("/v1/me", { headers: key.headers });
    expect(res.status).toBe(401);
    expect((await problemOf(res)).code).toBe("key_expired");
  });

  it("a demoted owner's key loses the scopes the new role lacks", async () => {
    const admin = await createUser({ role: "admin" });
    const instructor = await createUser({ role: "instructor" });
    const key = await createApiKey(instructor.headers, { scopes: ["profile:read", "questions:read", "questions:write"] });
    const res = await sendJson(`/v1/admin/users/${instructor.user.id}`, "PATCH", { role: "student" }, admin.headers);
    expect(res.status).toBe(200);
    const me = (await (await call("/v1/me", { headers: key.headers })).json()) as { auth: { scopes: string[] } };
    expect(me.auth.scopes).toEqual(["profile:read", "questions:read"]);
  });

  it("logout with an API key is a 400: keys are revoked, not logged out", async () => {
    const owner = await createUser();
    const key = await createApiKey(owner.headers, { scopes: ["profile:read"] });
    expect((await call("/v1/auth/logout", { method: "POST", headers: key.headers })).status).toBe(400);
  });
});

describe("rotation", () => {
  it("issues a new secret and stops the old one at once by default", async () => {
    const owner = await createUser();
    const key = await createApiKey(owner.headers, { scopes: ["profile:read"] });
    expect((await call("/v1/me", { headers: key.headers })).status).toBe(200);
    const res = await call(`/v1/api-keys/${key.id}/rotate`, { method: "POST", headers: owner.headers });
    expect(res.status).toBe(200);
    const rotated = (await res.json()) as KeyView;
    expect(rotated.id).toBe(key.id);
    expect(rotated.key).toMatch(/^pk_/);
    expect(rotated.key).not.toBe(key.key);
    expect(rotated.previousKeyExpiresAt).toBeNull();

    const old = await call("/v1/me", { headers: key.headers });
    expect(old.status).toBe(401);
    expect((await problemOf(old)).code).toBe("key_revoked");
    expect((await call("/v1/me", { headers: { Authorization: `Bearer ${rotated.key}` } })).status).toBe(200);

    const [audit] = await auditRows({ action: "api_key.rotated", targetId: key.id });
    expect(audit!.status).toBe("SUCCESS");
    expect(JSON.stringify(audit)).not.toContain(rotated.key!);
  });

  it("keeps the old secret working for a grace period, then stops it", async () => {
    const owner = await createUser();
    const key = await createApiKey(owner.headers, { scopes: ["profile:read"] });
    const res = await sendJson(`/v1/api-keys/${key.id}/rotate`, "POST", { gracePeriodSeconds: 60 }, owner.headers);
    const rotated = (await res.json()) as KeyView;
    expect(rotated.previousKeyExpiresAt).not.toBeNull();
    expect((await call("/v1/me", { headers: key.headers })).status).toBe(200);
    expect((await call("/v1/me", { headers: { Authorization: `Bearer ${rotated.key}` } })).status).toBe(200);
    clock.advance(60_001);
    expect((await problemOf(await call("/v1/me", { headers: key.headers }))).code).toBe("key_revoked");
    expect((await call("/v1/me", { headers: { Authorization: `Bearer ${rotated.key}` } })).status).toBe(200);
  });

  it("refuses to rotate a revoked key (409) and validates the grace period", async () => {
    const owner = await createUser();
    const key = await createApiKey(owner.headers, { scopes: ["profile:read"] });
    expect((await sendJson(`/v1/api-keys/${key.id}/rotate`, "POST", { gracePeriodSeconds: 999_999 }, owner.headers)).status).toBe(400);
    expect((await sendJson(`/v1/api-keys/${key.id}/rotate`, "POST", { grace: 5 }, owner.headers)).status).toBe(400);
    await call(`/v1/api-keys/${key.id}`, { method: "DELETE", headers: owner.headers });
    expect((await call(`/v1/api-keys/${key.id}/rotate`, { method: "POST", headers: owner.headers })).status).toBe(409);
    const rows = await auditRows({ action: "api_key.rotated", targetId: key.id });
    expect(rows.map((row) => row.status)).toEqual(["FAILURE"]);
  });
});

describe("scopes", () => {
  it("requireScope answers 403 insufficient_scope naming the missing scope", async () => {
    const owner = await createUser();
    const key = await createApiKey(owner.headers, { scopes: ["profile:read"] });
    const res = await call("/v1/admin/users", { headers: key.headers });
    expect(res.status).toBe(403);
    const problem = await problemOf(res);
    expect(problem).toMatchObject({ code: "insufficient_scope", scope: "admin:read" });
  });
});

describe("usage tracking", () => {
  it("counts uses in the isolate and writes them in batches, not once per request", async () => {
    const owner = await createUser();
    const key = await createApiKey(owner.headers, { scopes: ["profile:read"] });
    const stored = () =>
      env.DB.prepare("SELECT usage_count, last_used_at FROM api_keys WHERE id = ?")
        .bind(key.id)
        .first<{ usage_count: number; last_used_at: number | null }>();

    // Move past any flush another test scheduled, so the first use here flushes.
    clock.advance(10_000);
    expect((await call("/v1/me", { headers: key.headers })).status).toBe(200);
    await eventually(async () => expect((await stored())!.usage_count).toBe(1));

    for (let i = 0; i < 5; i++) await call("/v1/me", { headers: key.headers });
    // Within the flush interval nothing more is written, but the owner's view already counts them.
    await new Promise((resolve) => setTimeout(resolve, 100));
    expect((await stored())!.usage_count).toBe(1);
    expect((await getKey(key.id, owner.headers)).usageCount).toBe(6);

    clock.advance(6_000);
    await call("/v1/me", { headers: key.headers });
    await eventually(async () => expect((await stored())!.usage_count).toBe(7));
    const view = await getKey(key.id, owner.headers);
    expect(view.usageCount).toBe(7);
    expect(view.lastUsedAt).not.toBeNull();
  });
});

describe("corrupt role", () => {
  it("a user row with an unknown role holds no scopes instead of crashing", async () => {
    const { user, headers } = await createUser();
    await env.DB.prepare("UPDATE users SET role = 'ADMIN' WHERE id = ?").bind(user.id).run();
    clock.advance(5_001); // past the credential cache
    const res = await call("/v1/api-keys", { headers });
    expect(res.status).toBe(403);
    expect((await problemOf(res)).code).toBe("insufficient_scope");
  });
});

import { env } from "cloudflare:workers";
import { describe, expect, it } from "vitest";
import { clientIp, createApiKey, createUser, DEFAULT_TEST_PASSWORD } from "../helpers/auth";
import { call, problemOf, sendJson } from "../helpers/http";
import { auditRows, eventually, securityEvents } from "./support";

/** Recovering an account closes every door: password change (optionally every key) and an admin's forced sign-out. */

const NEW_PASSWORD = "Recovered-Account-7!";

async function extraSession(email: string, password = DEFAULT_TEST_PASSWORD) {
  const res = await sendJson("/v1/auth/login", "POST", { email, password }, clientIp());
  expect(res.status).toBe(200);
  return { Authorization: `Bearer ${((await res.json()) as { token: string }).token}` };
}

const liveCredentials = async (userId: string) => ({
  sessions: (await env.DB.prepare("SELECT COUNT(*) AS n FROM sessions WHERE user_id = ? AND revoked_at IS NULL")
    .bind(userId)
    .first<{ n: number }>())!.n,
  keys: (await env.DB.prepare("SELECT COUNT(*) AS n FROM api_keys WHERE owner_id = ? AND revoked_at IS NULL")
    .bind(userId)
    .first<{ n: number }>())!.n,
});

const changePassword = (headers: Record<string, string>, body: Record<string, unknown> = {}) =>
  sendJson("/v1/me/password", "POST", { currentPassword: DEFAULT_TEST_PASSWORD, newPassword: NEW_PASSWORD, ...body }, headers);

const revokeAccess = (userId: string, headers: Record<string, string>, body: unknown = { reason: "Account reported compromised" }) =>
  sendJson(`/v1/admin/users/${userId}/revoke-access`, "POST", body, headers);

describe("POST /v1/me/password with revokeApiKeys", () => {
  it("revokes every API key at once, with the other sessions", async () => {
    const owner = await createUser();
    const keys = [
      await createApiKey(owner.headers, { scopes: ["profile:read"] }),
      await createApiKey(owner.headers, { scopes: ["questions:read"] }),
    ];
    expect((await call("/v1/me", { headers: keys[0]!.headers })).status).toBe(200); // cached in this isolate
    const res = await changePassword(owner.headers, { revokeApiKeys: true });
    expect(res.status).toBe(200);
    expect(await res.json()).toMatchObject({ revokedSessions: 0, revokedApiKeys: 2 });
    for (const key of keys) expect((await problemOf(await call("/v1/me", { headers: key.headers }))).code).toBe("key_revoked");
    expect(await liveCredentials(owner.user.id)).toEqual({ sessions: 1, keys: 0 });
    const [audit] = await auditRows({ action: "auth.password_changed", actorId: owner.user.id });
    expect(JSON.parse(audit!.metadata!)).toEqual({ keysRevoked: true });
  });

  it("keeps the keys by default, and refuses a revokeApiKeys that is not a boolean", async () => {
    const owner = await createUser();
    const key = await createApiKey(owner.headers, { scopes: ["profile:read"] });
    expect((await changePassword(owner.headers, { revokeApiKeys: "yes" })).status).toBe(400);
    const res = await changePassword(owner.headers);
    expect(await res.json()).toMatchObject({ revokedApiKeys: 0 });
    expect((await call("/v1/me", { headers: key.headers })).status).toBe(200);
  });

  it("a key minted by another session racing the change does not survive it", async () => {
    const owner = await createUser();
    const intruder = await extraSession(owner.user.email);
    const minted = Array.from({ length: 6 }, (_, i) =>
      sendJson("/v1/api-keys", "POST", { name: `backdoor ${i}`, scopes: ["profile:read"] }, intruder),
    );
    const [change, ...created] = await Promise.all([changePassword(owner.headers, { revokeApiKeys: true }), ...minted]);
    expect(change.status).toBe(200);
    for (const res of created) expect([201, 401]).toContain(res.status);
    expect(await liveCredentials(owner.user.id)).toEqual({ sessions: 1, keys: 0 });
    for (const res of created.filter((res) => res.status === 201)) {
      const { key } = (await res.json()) as { key: string };
      expect((await call("/v1/me", { headers: { Authorization: `Bearer ${key}` } })).status).toBe(401);
    }
  });
});

describe("POST /v1/admin/users/:id/revoke-access", () => {
  it("ends every session and key, withdraws device trust, audits and raises a security event", async () => {
    const admin = await createUser({ role: "admin" });
    const victim = await createUser();
    const other = await extraSession(victim.user.email);
    const key = await createApiKey(victim.headers, { scopes: ["profile:read"] });
    for (const headers of [victim.headers, other, key.headers]) expect((await call("/v1/me", { headers })).status).toBe(200);

    const res = await revokeAccess(victim.user.id, admin.headers);
    expect(res.status).toBe(200);
    expect(await res.json()).toEqual({ revokedSessions: 2, revokedApiKeys: 1 });
    for (const headers of [victim.headers, other, key.headers]) expect((await call("/v1/me", { headers })).status).toBe(401);
    expect(await liveCredentials(victim.user.id)).toEqual({ sessions: 0, keys: 0 });
    const row = await env.DB.prepare("SELECT trusted_devices_reset_at AS t FROM users WHERE id = ?")
      .bind(victim.user.id)
      .first<{ t: number }>();
    expect(row!.t).toBeGreaterThan(0);

    const [audit] = await auditRows({ action: "user.access_revoked", targetId: victim.user.id });
    expect(audit).toMatchObject({ status: "SUCCESS", actor_id: admin.user.id });
    expect(JSON.parse(audit!.metadata!)).toEqual({ reason: "Account reported compromised" });
    const [event] = await eventually(async () => {
      const rows = await securityEvents("access_revoked", victim.user.id);
      expect(rows).toHaveLength(1);
      return rows;
    });
    expect(event!.severity).toBe("HIGH");
    expect(JSON.parse(event!.details)).toMatchObject({ by: admin.user.id, revokedSessions: 2, revokedKeys: 1 });

    // The password still works: the user signs in again (and should change it).
    expect(
      (await sendJson("/v1/auth/login", "POST", { email: victim.user.email, password: DEFAULT_TEST_PASSWORD }, clientIp())).status,
    ).toBe(200);
  });

  it("is refused without admin:write, for an unknown user, and without a reason", async () => {
    const admin = await createUser({ role: "admin" });
    const student = await createUser();
    const victim = await createUser();
    const reader = await createApiKey(admin.headers, { scopes: ["admin:read"] });

    const bySelf = await revokeAccess(victim.user.id, student.headers);
    expect(await problemOf(bySelf)).toMatchObject({ code: "insufficient_scope", scope: "admin:write" });
    expect((await problemOf(await revokeAccess(victim.user.id, reader.headers))).scope).toBe("admin:write");
    expect((await revokeAccess("usr_01JD0000000000000000000000", admin.headers)).status).toBe(404);
    expect((await revokeAccess("not-a-user", admin.headers)).status).toBe(400);
    expect((await revokeAccess(victim.user.id, admin.headers, {})).status).toBe(400);
    expect((await revokeAccess(victim.user.id, admin.headers, { reason: "x", sessions: false })).status).toBe(400);
    expect((await call("/v1/me", { headers: victim.headers })).status).toBe(200);
    expect(await auditRows({ action: "user.access_revoked", targetId: victim.user.id })).toHaveLength(0);
  });

  it("a victim's session minting and rotating keys while being forced out is left with nothing live", async () => {
    const admin = await createUser({ role: "admin" });
    const victim = await createUser();
    const existing = await createApiKey(victim.headers, { scopes: ["api_keys:manage"] });
    const racing = [
      ...Array.from({ length: 5 }, (_, i) =>
        sendJson("/v1/api-keys", "POST", { name: `race ${i}`, scopes: ["profile:read"] }, victim.headers),
      ),
      call(`/v1/api-keys/${existing.id}/rotate`, { method: "POST", headers: victim.headers }),
      call(`/v1/api-keys/${existing.id}/rotate`, { method: "POST", headers: existing.headers }),
    ];
    const [revoked, ...rest] = await Promise.all([revokeAccess(victim.user.id, admin.headers), ...racing]);
    expect(revoked.status).toBe(200);
    for (const res of rest) expect([200, 201, 401, 409]).toContain(res.status);
    expect(await liveCredentials(victim.user.id)).toEqual({ sessions: 0, keys: 0 });
    for (const res of rest.filter((res) => res.status === 200 || res.status === 201)) {
      const { key } = (await res.json()) as { key: string };
      expect((await call("/v1/api-keys", { headers: { Authorization: `Bearer ${key}` } })).status).toBe(401);
    }
  });
});

import { env } from "cloudflare:workers";
import { describe, expect, it } from "vitest";
import { clientIp, createApiKey, createUser, DEFAULT_TEST_PASSWORD } from "../helpers/auth";
import { call, problemOf, sendJson } from "../helpers/http";
import { auditRows, eventually } from "./support";
import { clock } from "../../src/lib/clock";

describe("GET /v1/me", () => {
  it("returns the caller's profile and how they authenticated", async () => {
    const { user, headers } = await createUser({ name: "Meera" });
    const res = await call("/v1/me", { headers });
    expect(res.status).toBe(200);
    const body = (await res.json()) as { user: Record<string, unknown>; auth: { kind: string; scopes: string[] } };
    expect(body.user).toMatchObject({ id: user.id, email: user.email, name: "Meera", role: "student", timezone: "UTC" });
    expect(body.auth.kind).toBe("session");
    expect(body.auth.scopes).toContain("attempts:write");
    expect(body.auth.scopes).not.toContain("admin:read");
  });

  it("is 401 without credentials", async () => {
    const res = await call("/v1/me");
    expect(res.status).toBe(401);
    expect((await problemOf(res)).code).toBe("unauthenticated");
  });
});

describe("PATCH /v1/me", () => {
  it("shows the change at once on GET /v1/me, for the session and the user's API keys alike", async () => {
    const { headers } = await createUser({ name: "Before" });
    const key = await createApiKey(headers, { scopes: ["profile:read"] });
    // Both credentials are now in this isolate's cache, carrying the profile as it was.
    for (const auth of [headers, key.headers])
      expect(((await (await call("/v1/me", { headers: auth })).json()) as { user: { name: string } }).user.name).toBe("Before");

    expect((await sendJson("/v1/me", "PATCH", { name: "After" }, headers)).status).toBe(200);
    for (const auth of [headers, key.headers])
      expect(((await (await call("/v1/me", { headers: auth })).json()) as { user: { name: string } }).user.name).toBe("After");
  });

  it("changes profile fields and audits the before/after of what changed", async () => {
    const { user, headers } = await createUser({ name: "Old Name" });
    const res = await sendJson("/v1/me", "PATCH", { name: "New Name", timezone: "Asia/Kolkata", bio: "JEE 2027" }, headers);
    expect(res.status).toBe(200);
    const { user: updated } = (await res.json()) as { user: Record<string, unknown> };
    expect(updated).toMatchObject({ name: "New Name", timezone: "Asia/Kolkata", bio: "JEE 2027", role: "student" });
    const [row] = await auditRows({ action: "user.updated", targetId: user.id });
    const changes = JSON.parse(row!.changes!);
    expect(changes.before).toEqual({ name: "Old Name", timezone: "UTC", bio: null });
    expect(changes.after).toEqual({ name: "New Name", timezone: "Asia/Kolkata", bio: "JEE 2027" });
  });

  for (const [label, body] of [
    ["role", { role: "admin" }],
    ["email", { email: "someone-else@example.test" }],
    ["an unknown key", { name: "Ok", isVerified: true }],
    ["passwordHash", { passwordHash: "pbkdf2-sha256$1$AA==$AA==" }],
  ] as const) {
    it(`rejects a body carrying ${label} with 400 and changes nothing`, async () => {
      const { user, headers } = await createUser();
      const res = await sendJson("/v1/me", "PATCH", body, headers);
      expect(res.status).toBe(400);
      expect((await problemOf(res)).code).toBe("validation_failed");
      const row = await env.DB.prepare("SELECT role, email, name FROM users WHERE id = ?").bind(user.id).first();
      expect(row).toEqual({ role: "student", email: user.email, name: user.name });
    });
  }

  it("rejects bad values: unknown time zone, http avatar, oversized bio, empty body", async () => {
    const { headers } = await createUser();
    for (const body of [{ timezone: "Mars/Olympus" }, { avatarUrl: "http://x.example/a.png" }, { bio: "x".repeat(1001) }, {}]) {
      const res = await sendJson("/v1/me", "PATCH", body, headers);
      expect(res.status, JSON.stringify(body)).toBe(400);
    }
  });
});

describe("POST /v1/me/password", () => {
  const NEW_PASSWORD = "Another-Strong-7-Pass";

  it("changes the password, keeps this session and revokes every other one", async () => {
    const first = await createUser();
    const other = await sendJson("/v1/auth/login", "POST", { email: first.user.email, password: DEFAULT_TEST_PASSWORD }, clientIp());
    const otherHeaders = { Authorization: `Bearer ${((await other.json()) as { token: string }).token}` };
    expect((await call("/v1/me", { headers: otherHeaders })).status).toBe(200);

    const res = await sendJson(
      "/v1/me/password",
      "POST",
      { currentPassword: DEFAULT_TEST_PASSWORD, newPassword: NEW_PASSWORD },
      first.headers,
    );
    expect(res.status).toBe(200);
    expect(await res.json()).toMatchObject({ revokedSessions: 1, revokedApiKeys: 0, deviceToken: expect.stringMatching(/^dt_/) });

    expect((await call("/v1/me", { headers: first.headers })).status).toBe(200);
    expect((await call("/v1/me", { headers: otherHeaders })).status).toBe(401);
    expect(
      (await sendJson("/v1/auth/login", "POST", { email: first.user.email, password: DEFAULT_TEST_PASSWORD }, clientIp())).status,
    ).toBe(401);
    expect((await sendJson("/v1/auth/login", "POST", { email: first.user.email, password: NEW_PASSWORD }, clientIp())).status).toBe(200);

    const [row] = await auditRows({ action: "auth.password_changed", targetId: first.user.id });
    expect(row!.status).toBe("SUCCESS");
    expect(JSON.stringify(row)).not.toContain(NEW_PASSWORD);
  });

  it("refuses a wrong current password (401) and audits the failure", async () => {
    const { user, headers } = await createUser();
    const res = await sendJson("/v1/me/password", "POST", { currentPassword: "Not-The-Password-1", newPassword: NEW_PASSWORD }, headers);
    expect(res.status).toBe(401);
    expect((await problemOf(res)).code).toBe("invalid_credentials");
    const [row] = await auditRows({ action: "auth.password_changed", targetId: user.id });
    expect(row!.status).toBe("FAILURE");
  });

  it("applies the password policy to the new password and refuses reuse", async () => {
    const { headers } = await createUser();
    const weak = await sendJson("/v1/me/password", "POST", { currentPassword: DEFAULT_TEST_PASSWORD, newPassword: "short" }, headers);
    expect(weak.status).toBe(400);
    expect((await problemOf(weak)).errors!.every((error) => error.path === "newPassword")).toBe(true);
    const same = await sendJson(
      "/v1/me/password",
      "POST",
      { currentPassword: DEFAULT_TEST_PASSWORD, newPassword: DEFAULT_TEST_PASSWORD },
      headers,
    );
    expect(same.status).toBe(400);
  });

  it("is refused to an API key: password changes need a session", async () => {
    const owner = await createUser();
    const key = await createApiKey(owner.headers, { scopes: ["questions:read"] });
    const res = await sendJson(
      "/v1/me/password",
      "POST",
      { currentPassword: DEFAULT_TEST_PASSWORD, newPassword: NEW_PASSWORD },
      key.headers,
    );
    expect(res.status).toBe(403);
  });
});

describe("/v1/me/sessions", () => {
  it("lists the caller's live sessions, marking the current one", async () => {
    const first = await createUser();
    await sendJson("/v1/auth/login", "POST", { email: first.user.email, password: DEFAULT_TEST_PASSWORD }, clientIp());
    const res = await call("/v1/me/sessions", { headers: first.headers });
    expect(res.status).toBe(200);
    const { data } = (await res.json()) as { data: { id: string; current: boolean }[] };
    expect(data).toHaveLength(2);
    expect(data.filter((session) => session.current)).toHaveLength(1);
    expect(JSON.stringify(data)).not.toMatch(/token|st_/i);
  });

  it("revokes one session (204, audited), and answers 404 for another user's session", async () => {
    const owner = await createUser();
    const login = await sendJson("/v1/auth/login", "POST", { email: owner.user.email, password: DEFAULT_TEST_PASSWORD }, clientIp());
    const otherHeaders = { Authorization: `Bearer ${((await login.json()) as { token: string }).token}` };
    const { data } = (await (await call("/v1/me/sessions", { headers: owner.headers })).json()) as {
      data: { id: string; current: boolean }[];
    };
    const other = data.find((session) => !session.current)!;

    const stranger = await createUser();
    expect((await call(`/v1/me/sessions/${other.id}`, { method: "DELETE", headers: stranger.headers })).status).toBe(404);
    expect((await call("/v1/me", { headers: otherHeaders })).status).toBe(200);

    expect((await call(`/v1/me/sessions/${other.id}`, { method: "DELETE", headers: owner.headers })).status).toBe(204);
    expect((await call("/v1/me", { headers: otherHeaders })).status).toBe(401);
    expect((await call("/v1/me", { headers: owner.headers })).status).toBe(200);
    const [row] = await auditRows({ action: "auth.session_revoked", targetId: other.id });
    expect(row).toMatchObject({ status: "SUCCESS", actor_id: owner.user.id });
    expect((await call("/v1/me/sessions/not-a-session", { method: "DELETE", headers: owner.headers })).status).toBe(400);
  });
});

describe("session activity", () => {
  it("shows when each session was last used, written in batches rather than per request", async () => {
    const { user, headers } = await createUser();
    const stored = () =>
      env.DB.prepare("SELECT last_seen_at FROM sessions WHERE user_id = ?").bind(user.id).first<{ last_seen_at: number | null }>();
    clock.advance(120_000); // past any flush another test scheduled
    await call("/v1/me", { headers });
    await eventually(async () => expect((await stored())!.last_seen_at).toBeGreaterThan(0));
    const firstSeen = (await stored())!.last_seen_at!;

    clock.advance(1_000);
    await call("/v1/me", { headers });
    const { data } = (await (await call("/v1/me/sessions", { headers })).json()) as { data: { lastSeenAt: string }[] };
    expect(Date.parse(data[0]!.lastSeenAt)).toBeGreaterThan(firstSeen);
    expect((await stored())!.last_seen_at).toBe(firstSeen); // not written yet: within the flush interval
  });
});

import { env } from "cloudflare:workers";
import { describe, expect, it, vi } from "vitest";
import { clock } from "../../src/lib/clock";
import { sha256Hex } from "../../src/lib/auth/tokens";
import { clientIp, createUser, DEFAULT_TEST_PASSWORD, uniqueEmail } from "../helpers/auth";
import { call, problemOf, sendJson } from "../helpers/http";
import { auditRows } from "./support";

const login = (email: string, password: string) => sendJson("/v1/auth/login", "POST", { email, password }, clientIp());

describe("POST /v1/auth/login", () => {
  it("returns a session token, its expiry and the user, and sets a hardened cookie", async () => {
    const { user } = await createUser();
    const before = Date.now();
    const res = await login(user.email, DEFAULT_TEST_PASSWORD);
    expect(res.status).toBe(200);
    const body = (await res.json()) as { token: string; expiresAt: string; user: { id: string } };
    expect(body.token).toMatch(/^st_[A-Za-z0-9_-]{43}$/);
    expect(body.user.id).toBe(user.id);
    const ttlMs = 7 * 24 * 3600 * 1000;
    expect(Date.parse(body.expiresAt) - before).toBeGreaterThanOrEqual(ttlMs - 1000);
    expect(Date.parse(body.expiresAt) - before).toBeLessThanOrEqual(ttlMs + 5000);
    expect(res.headers.get("Cache-Control")).toBe("no-store");

    const cookie = res.headers.getSetCookie().find((line) => line.startsWith("__Host-proctor_session="))!;
    expect(cookie).toContain(`__Host-proctor_session=${body.token}`);
    expect(cookie).toMatch(/; HttpOnly/);
    expect(cookie).toMatch(/; Secure/);
    expect(cookie).toMatch(/; SameSite=Lax/);
    expect(cookie).toMatch(/; Path=\//);
  });

  it("stores only the SHA-256 of the token", async () => {
    const { user, token } = await createUser();
    const { results } = await env.DB.prepare("SELECT token_hash FROM sessions WHERE user_id = ?")
      .bind(user.id)
      .all<{ token_hash: string }>();
    expect(results.map((row) => row.token_hash)).toContain(await sha256Hex(token));
    const raw = await env.DB.prepare("SELECT COUNT(*) AS n FROM sessions WHERE token_hash = ?").bind(token).first<{ n: number }>();
    expect(raw!.n).toBe(0);
  });

  it("accepts the email in any case and with spaces", async () => {
    const { user } = await createUser();
    expect((await login(`  ${user.email.toUpperCase()} `, DEFAULT_TEST_PASSWORD)).status).toBe(200);
  });

  it("audits the login and records the sign-in for device detection", async () => {
    const { user } = await createUser();
    const res = await login(user.email, DEFAULT_TEST_PASSWORD);
    const requestId = res.headers.get("X-Request-Id")!;
    const [row] = await auditRows({ action: "auth.login", requestId });
    expect(row).toMatchObject({ status: "SUCCESS", actor_id: user.id, target_type: "session" });
    const logins = await env.DB.prepare("SELECT COUNT(*) AS n FROM user_logins WHERE user_id = ?").bind(user.id).first<{ n: number }>();
    expect(logins!.n).toBe(2);
    const seen = await env.DB.prepare("SELECT last_login_at FROM users WHERE id = ?").bind(user.id).first<{ last_login_at: number }>();
    expect(seen!.last_login_at).toBeGreaterThan(0);
  });
});

describe("login failures", () => {
  it("answers unknown email and wrong password with the same 401 invalid_credentials", async () => {
    const { user } = await createUser();
    const wrong = await login(user.email, "Wrong-Password-1!");
    const unknown = await login(uniqueEmail("ghost"), "Wrong-Password-1!");
    expect(wrong.status).toBe(401);
    expect(unknown.status).toBe(401);
    const a = await problemOf(wrong);
    const b = await problemOf(unknown);
    for (const problem of [a, b]) delete (problem as Partial<typeof problem>).requestId;
    expect(a).toEqual(b);
    expect(a.code).toBe("invalid_credentials");
    expect(wrong.headers.getSetCookie()).toEqual([]);
  });

  it("does the same hashing work for an unknown email as for a wrong password", async () => {
    const { user } = await createUser();
    await login(uniqueEmail("warm"), "Wrong-Password-1!"); // the dummy hash is made once per isolate
    const work = async (email: string) => {
      const spy = vi.spyOn(crypto.subtle, "deriveBits");
      try {
        expect((await login(email, "Wrong-Password-1!")).status).toBe(401);
        return spy.mock.calls.map(([algorithm]) => (algorithm as { iterations: number }).iterations);
      } finally {
        spy.mockRestore();
      }
    };
    const known = await work(user.email);
    const unknown = await work(uniqueEmail("ghost"));
    expect(known).toEqual([100_000]);
    expect(unknown).toEqual(known);
  });

  it("audits each failure with the reason, never the password", async () => {
    const { user } = await createUser();
    const wrong = await login(user.email, "Wrong-Password-1!");
    const [wrongRow] = await auditRows({ action: "auth.login_failed", requestId: wrong.headers.get("X-Request-Id")! });
    expect(wrongRow).toMatchObject({ status: "FAILURE", actor_id: user.id, target_id: user.id });
    expect(JSON.parse(wrongRow!.metadata!)).toMatchObject({ reason: "wrong_password", email: user.email });

    const ghost = uniqueEmail("ghost");
    const unknown = await login(ghost, "Wrong-Password-1!");
    const [unknownRow] = await auditRows({ action: "auth.login_failed", requestId: unknown.headers.get("X-Request-Id")! });
    expect(unknownRow).toMatchObject({ status: "FAILURE", actor_id: null });
    expect(JSON.parse(unknownRow!.metadata!)).toMatchObject({ reason: "unknown_email", email: ghost });
    expect(JSON.stringify([wrongRow, unknownRow])).not.toContain("Wrong-Password");
  });

  it("rejects unknown keys in the body", async () => {
    const { user } = await createUser();
    const res = await sendJson(
      "/v1/auth/login",
      "POST",
      { email: user.email, password: DEFAULT_TEST_PASSWORD, remember: true },
      clientIp(),
    );
    expect(res.status).toBe(400);
  });
});

describe("session lifetime", () => {
  it("works as a bearer token and as the cookie", async () => {
    const { token } = await createUser();
    expect((await call("/v1/me", { headers: { Authorization: `Bearer ${token}` } })).status).toBe(200);
    expect((await call("/v1/me", { headers: { Cookie: `__Host-proctor_session=${token}` } })).status).toBe(200);
  });

  it("expires after SESSION_TTL_SECONDS", async () => {
    const { headers } = await createUser();
    clock.advance(7 * 24 * 3600 * 1000 - 60_000);
    expect((await call("/v1/me", { headers })).status).toBe(200);
    clock.advance(120_000);
    const res = await call("/v1/me", { headers });
    expect(res.status).toBe(401);
    expect((await problemOf(res)).code).toBe("session_expired");
  });

  it("logout answers 204, clears the cookie, stops the token and is audited", async () => {
    const { user, headers } = await createUser();
    const res = await call("/v1/auth/logout", { method: "POST", headers });
    expect(res.status).toBe(204);
    expect(res.headers.getSetCookie().join()).toMatch(/__Host-proctor_session=;.*Max-Age=0/);
    const after = await call("/v1/me", { headers });
    expect(after.status).toBe(401);
    expect((await problemOf(after)).code).toBe("unauthenticated");
    const [row] = await auditRows({ action: "auth.logout", actorId: user.id });
    expect(row).toMatchObject({ status: "SUCCESS", target_type: "session" });
  });

  it("a session revoked elsewhere (another isolate) stops working within the cache bound", async () => {
    const { user, headers } = await createUser();
    expect((await call("/v1/me", { headers })).status).toBe(200); // now cached in this isolate
    await env.DB.prepare("UPDATE sessions SET revoked_at = ? WHERE user_id = ?").bind(Date.now(), user.id).run();
    clock.advance(5_001);
    expect((await call("/v1/me", { headers })).status).toBe(401);
  });

  it("logout without a credential is 401", async () => {
    expect((await call("/v1/auth/logout", { method: "POST" })).status).toBe(401);
  });
});

describe("bearer credentials", () => {
  it("answers 401 unauthenticated for a missing, malformed or unknown credential", async () => {
    for (const authorization of [
      undefined,
      "Basic abc",
      "Bearer",
      "Bearer st_nope",
      `Bearer st_${"A".repeat(43)}`,
      `Bearer pk_${"1".repeat(44)}`,
    ]) {
      const res = await call("/v1/me", { headers: authorization ? { Authorization: authorization } : {} });
      expect(res.status, authorization).toBe(401);
      expect((await problemOf(res)).code).toBe("unauthenticated");
    }
  });

  it("ignores a stale session cookie on public routes such as login", async () => {
    const { user } = await createUser();
    const res = await call("/v1/auth/login", {
      method: "POST",
      headers: { "Content-Type": "application/json", Cookie: `__Host-proctor_session=st_${"B".repeat(43)}`, ...clientIp() },
      body: JSON.stringify({ email: user.email, password: DEFAULT_TEST_PASSWORD }),
    });
    expect(res.status).toBe(200);
  });
});

import { describe, expect, it } from "vitest";
import { clientIp, createUser } from "../helpers/auth";
import { call, problemOf } from "../helpers/http";
import { cookieHeader, cookiesFrom, eventually, securityEvents } from "./support";

const ORIGIN = "https://proctor.test";

async function cookieSession() {
  const created = await createUser();
  const csrf = await call("/v1/auth/csrf", { headers: { Cookie: `__Host-proctor_session=${created.token}` } });
  expect(csrf.status).toBe(200);
  const { csrfToken } = (await csrf.json()) as { csrfToken: string };
  const cookies: Record<string, string> = { "__Host-proctor_session": created.token, ...cookiesFrom(csrf) };
  return {
    ...created,
    csrfToken,
    cookies,
    csrfCookie: csrf.headers.getSetCookie().find((line) => line.startsWith("__Host-proctor_csrf="))!,
  };
}

const patchName = (headers: Record<string, string>) =>
  call("/v1/me", {
    method: "PATCH",
    headers: { "Content-Type": "application/json", ...headers },
    body: JSON.stringify({ name: "Changed" }),
  });

describe("GET /v1/auth/csrf", () => {
  it("returns a token and sets it as a __Host- cookie", async () => {
    const { csrfToken, cookies, csrfCookie } = await cookieSession();
    expect(csrfToken).toMatch(/^[A-Za-z0-9_-]{43}$/);
    expect(cookies["__Host-proctor_csrf"]).toBe(csrfToken);
    expect(csrfCookie).toMatch(/; Secure/);
    expect(csrfCookie).toMatch(/; SameSite=Lax/);
  });

  it("keeps an existing token so several tabs agree", async () => {
    const { cookies, csrfToken } = await cookieSession();
    const again = await call("/v1/auth/csrf", { headers: { Cookie: cookieHeader(cookies) } });
    expect(((await again.json()) as { csrfToken: string }).csrfToken).toBe(csrfToken);
  });
});

describe("CSRF on cookie-authenticated requests", () => {
  it("lets a state change through with the cookie, a matching token and an allowed origin", async () => {
    const { cookies, csrfToken } = await cookieSession();
    const res = await patchName({ Cookie: cookieHeader(cookies), "X-CSRF-Token": csrfToken, Origin: ORIGIN });
    expect(res.status).toBe(200);
  });

  it("accepts a configured front-end origin (CORS_ORIGINS)", async () => {
    const { cookies, csrfToken } = await cookieSession();
    const res = await patchName({ Cookie: cookieHeader(cookies), "X-CSRF-Token": csrfToken, Origin: "http://localhost:5173" });
    expect(res.status).toBe(200);
  });

  it("does not check safe methods", async () => {
    const { token } = await cookieSession();
    expect((await call("/v1/me", { headers: { Cookie: `__Host-proctor_session=${token}` } })).status).toBe(200);
  });

  const failures: [string, (s: Awaited<ReturnType<typeof cookieSession>>) => Record<string, string>, string][] = [
    ["no token at all", (s) => ({ Cookie: `__Host-proctor_session=${s.token}`, Origin: ORIGIN }), "missing_token"],
    [
      "the header without the cookie",
      (s) => ({ Cookie: `__Host-proctor_session=${s.token}`, "X-CSRF-Token": s.csrfToken, Origin: ORIGIN }),
      "missing_token",
    ],
    [
      "a token that does not match the cookie",
      (s) => ({ Cookie: cookieHeader(s.cookies), "X-CSRF-Token": `${s.csrfToken.slice(1)}x`, Origin: ORIGIN }),
      "token_mismatch",
    ],
    [
      "a foreign origin",
      (s) => ({ Cookie: cookieHeader(s.cookies), "X-CSRF-Token": s.csrfToken, Origin: "https://evil.example" }),
      "origin_not_allowed",
    ],
    ["no Origin or Referer", (s) => ({ Cookie: cookieHeader(s.cookies), "X-CSRF-Token": s.csrfToken }), "missing_origin"],
  ];
  for (const [label, headersOf, reason] of failures) {
    it(`answers 403 csrf_failed for ${label}, changes nothing and records a security event`, async () => {
      const session = await cookieSession();
      const res = await patchName(headersOf(session));
      expect(res.status).toBe(403);
      expect((await problemOf(res)).code).toBe("csrf_failed");
      const me = (await (await call("/v1/me", { headers: session.headers })).json()) as { user: { name: string } };
      expect(me.user.name).toBe("Test User");
      const events = await eventually(async () => {
        const rows = await securityEvents("csrf_failure", session.user.id);
        expect(rows.length).toBeGreaterThan(0);
        return rows;
      });
      expect(JSON.parse(events[0]!.details)).toMatchObject({ reason, method: "PATCH", path: "/v1/me" });
    });
  }

  it("accepts a same-origin Referer when Origin is absent", async () => {
    const { cookies, csrfToken } = await cookieSession();
    const res = await patchName({ Cookie: cookieHeader(cookies), "X-CSRF-Token": csrfToken, Referer: `${ORIGIN}/settings` });
    expect(res.status).toBe(200);
  });

  it("exempts bearer-authenticated requests, even with a cookie present", async () => {
    const { headers, token } = await cookieSession();
    const res = await patchName({ ...headers, Cookie: `__Host-proctor_session=${token}`, Origin: "https://evil.example" });
    expect(res.status).toBe(200);
  });

  it("protects logout too (a forced logout is a CSRF)", async () => {
    const { cookies } = await cookieSession();
    const res = await call("/v1/auth/logout", {
      method: "POST",
      headers: { Cookie: cookieHeader(cookies), Origin: "https://evil.example" },
    });
    expect(res.status).toBe(403);
  });
});

describe("CSRF and public routes", () => {
  it("a signed-in browser can still log in (e.g. as someone else) without a CSRF token", async () => {
    const { cookies } = await cookieSession();
    const other = await createUser();
    const res = await call("/v1/auth/login", {
      method: "POST",
      headers: { "Content-Type": "application/json", Cookie: cookieHeader(cookies), Origin: "https://evil.example", ...clientIp() },
      body: JSON.stringify({ email: other.user.email, password: other.password }),
    });
    expect(res.status).toBe(200);
  });
});

import { env } from "cloudflare:workers";
import { describe, expect, it } from "vitest";
import { ROLES } from "../../src/db/schema";
import { ROLE_SCOPES } from "../../src/lib/auth/scopes";
import { clientIp, createApiKey, createUser, DEFAULT_TEST_PASSWORD } from "../helpers/auth";
import { call, problemOf, sendJson } from "../helpers/http";
import { auditRows } from "./support";

/** Own-account routes need `profile:read`, `profile:write` or `sessions:manage`; a key holds them only when granted. */

const OWN_ACCOUNT_SCOPES = ["profile:read", "profile:write", "sessions:manage"] as const;

async function secondSession(email: string) {
  const login = await sendJson("/v1/auth/login", "POST", { email, password: DEFAULT_TEST_PASSWORD }, clientIp());
  return { Authorization: `Bearer ${((await login.json()) as { token: string }).token}` };
}

async function sessionIds(headers: Record<string, string>) {
  const { data } = (await (await call("/v1/me/sessions", { headers })).json()) as { data: { id: string; current: boolean }[] };
  return data;
}

describe("every role holds the own-account scopes", () => {
  it("in the catalogue's role sets and in every session", async () => {
    for (const role of ROLES) for (const scope of OWN_ACCOUNT_SCOPES) expect(ROLE_SCOPES[role].has(scope), `${role} ${scope}`).toBe(true);
    for (const role of ROLES) {
      const { headers } = await createUser({ role });
      const me = (await (await call("/v1/me", { headers })).json()) as { auth: { scopes: string[] } };
      expect(me.auth.scopes).toEqual(expect.arrayContaining([...OWN_ACCOUNT_SCOPES]));
    }
  });

  it("a key granted them reads and edits the profile, lists and revokes sessions", async () => {
    const owner = await createUser();
    const key = await createApiKey(owner.headers, { scopes: [...OWN_ACCOUNT_SCOPES] });
    expect((await call("/v1/me", { headers: key.headers })).status).toBe(200);
    expect((await sendJson("/v1/me", "PATCH", { name: "Via Key" }, key.headers)).status).toBe(200);
    const other = await secondSession(owner.user.email);
    const target = (await sessionIds(other)).find((session) => session.current)!;
    expect((await sessionIds(key.headers)).map((session) => session.id)).toContain(target.id);
    expect((await call(`/v1/me/sessions/${target.id}`, { method: "DELETE", headers: key.headers })).status).toBe(204);
    expect((await call("/v1/me", { headers: other })).status).toBe(401);
    expect((await call("/v1/me", { headers: owner.headers })).status).toBe(200);
  });
});

describe("a key without them is refused, naming the scope", () => {
  it.each([
    { what: "GET /v1/me", scope: "profile:read", send: (h: Record<string, string>) => call("/v1/me", { headers: h }) },
    { what: "GET /v1/me/sessions", scope: "profile:read", send: (h: Record<string, string>) => call("/v1/me/sessions", { headers: h }) },
    {
      what: "PATCH /v1/me",
      scope: "profile:write",
      send: (h: Record<string, string>) => sendJson("/v1/me", "PATCH", { name: "Hijacked" }, h),
    },
    {
      what: "DELETE /v1/me/sessions/:id",
      scope: "sessions:manage",
      send: (h: Record<string, string>) => call("/v1/me/sessions/ses_01JD0000000000000000000000", { method: "DELETE", headers: h }),
    },
  ])("$what needs $scope", async ({ scope, send }) => {
    const owner = await createUser({ name: "Untouched" });
    // Everything but the one scope the route needs (profile:read stays, so PATCH is refused on profile:write alone).
    const granted = ["questions:read", ...OWN_ACCOUNT_SCOPES.filter((held) => held !== scope)];
    const key = await createApiKey(owner.headers, { scopes: granted as never });
    const res = await send(key.headers);
    expect(res.status).toBe(403);
    expect(await problemOf(res)).toMatchObject({ code: "insufficient_scope", scope });
    const row = await env.DB.prepare("SELECT name FROM users WHERE id = ?").bind(owner.user.id).first<{ name: string }>();
    expect(row!.name).toBe("Untouched");
  });

  it("a key made before these scopes existed (an explicit list without them) can no longer read /v1/me", async () => {
    const owner = await createUser();
    const legacy = await createApiKey(owner.headers, { scopes: ["questions:read", "tests:read"] });
    const res = await call("/v1/me", { headers: legacy.headers });
    expect(res.status).toBe(403);
    expect((await problemOf(res)).scope).toBe("profile:read");
    // Its other scopes work as before.
    expect((await call("/v1/tests", { headers: legacy.headers })).status).toBe(200);
  });

  it("a password change needs a session even for a key holding every scope the owner has", async () => {
    const owner = await createUser();
    const key = await createApiKey(owner.headers, { scopes: [...ROLE_SCOPES.student] });
    const res = await sendJson(
      "/v1/me/password",
      "POST",
      { currentPassword: DEFAULT_TEST_PASSWORD, newPassword: "Another-Strong-7-Pass" },
      key.headers,
    );
    expect(res.status).toBe(403);
    expect((await problemOf(res)).code).toBe("forbidden");
    expect(
      (await sendJson("/v1/auth/login", "POST", { email: owner.user.email, password: DEFAULT_TEST_PASSWORD }, clientIp())).status,
    ).toBe(200);
  });
});

describe("racing session revocations", () => {
  it("a session revoked by two credentials at once is revoked once and audited once", async () => {
    const owner = await createUser();
    const key = await createApiKey(owner.headers, { scopes: ["profile:read", "sessions:manage"] });
    const other = await secondSession(owner.user.email);
    const target = (await sessionIds(owner.headers)).find((session) => !session.current)!;
    const results = await Promise.all([
      call(`/v1/me/sessions/${target.id}`, { method: "DELETE", headers: owner.headers }),
      call(`/v1/me/sessions/${target.id}`, { method: "DELETE", headers: key.headers }),
      call(`/v1/me/sessions/${target.id}`, { method: "DELETE", headers: owner.headers }),
    ]);
    expect(results.map((res) => res.status)).toEqual([204, 204, 204]);
    expect(await auditRows({ action: "auth.session_revoked", targetId: target.id })).toHaveLength(1);
    expect((await call("/v1/me", { headers: other })).status).toBe(401);
  });
});

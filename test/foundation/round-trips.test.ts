import { env } from "cloudflare:workers";
import { describe, expect, it } from "vitest";
import { createApiKey, createUser } from "../helpers/auth";
import { observeD1, ownRoundTrips } from "../helpers/observe";
import { testApp } from "../helpers/test-app";

/** One request through the real app with D1 observed; the round trips it made for itself (docs/architecture.md). */
async function roundTripsOf(path: string, init: RequestInit = {}) {
  const d1 = observeD1(env.DB);
  const res = await testApp().request(path, init, { ...env, DB: d1.db });
  return { status: res.status, body: await res.text(), queries: ownRoundTrips(d1.roundTrips) };
}

const KEY_LOOKUP = /^select .* from "api_keys" inner join "users"/;
const SESSION_LOOKUP = /^select .* from "sessions" inner join "users"/;

describe("D1 round trips on the hot path", () => {
  it("GET /v1/me with an API key: the key and its owner's profile in one query, then none while the isolate has them", async () => {
    const owner = await createUser({ name: "Keyholder" });
    const key = await createApiKey(owner.headers, { scopes: ["profile:read"] });

    const cold = await roundTripsOf("/v1/me", { headers: key.headers });
    expect(cold.status).toBe(200);
    expect(cold.queries, cold.queries.join("\n")).toHaveLength(1);
    expect(cold.queries[0]).toMatch(KEY_LOOKUP);

    const warm = await roundTripsOf("/v1/me", { headers: key.headers });
    expect(warm.status).toBe(200);
    expect(warm.queries).toEqual([]);
    expect(JSON.parse(warm.body)).toMatchObject({
      user: { id: owner.user.id, name: "Keyholder" },
      auth: { kind: "api_key", apiKeyId: key.id },
    });
  });

  it("GET /v1/me with a session: one query cold, none warm", async () => {
    const user = await createUser();
    const cold = await roundTripsOf("/v1/me", { headers: user.headers });
    expect(cold.queries, cold.queries.join("\n")).toHaveLength(1);
    expect(cold.queries[0]).toMatch(SESSION_LOOKUP);
    expect((await roundTripsOf("/v1/me", { headers: user.headers })).queries).toEqual([]);
  });

  it("PATCH /v1/me reads the user row once, for the audit's before-image", async () => {
    const user = await createUser();
    await roundTripsOf("/v1/me", { headers: user.headers });
    const patch = await roundTripsOf("/v1/me", {
      method: "PATCH",
      headers: { ...user.headers, "Content-Type": "application/json" },
      body: JSON.stringify({ name: "Renamed" }),
    });
    expect(patch.status).toBe(200);
    expect(patch.queries.filter((sql) => /^select .* from "users"/.test(sql))).toHaveLength(1);
    expect(patch.queries.filter((sql) => /^batch: update "users" .*; insert into "audit_logs"/.test(sql))).toHaveLength(1);
  });

  it("an unknown route costs no query, with or without a (warm) credential", async () => {
    const user = await createUser();
    await roundTripsOf("/v1/me", { headers: user.headers });
    for (const headers of [{}, user.headers]) {
      const miss = await roundTripsOf("/v1/nowhere", { headers });
      expect(miss.status).toBe(404);
      expect(miss.queries).toEqual([]);
    }
  });
});

import { env } from "cloudflare:workers";
import { describe, expect, it } from "vitest";
import { MAX_ACTIVE_API_KEYS } from "../../src/routes/api-keys";
import type { Scope } from "../../src/lib/auth/scopes";
import { createApiKey, createUser } from "../helpers/auth";
import { call, problemOf, sendJson } from "../helpers/http";
import { auditRows, eventually, securityEvents } from "./support";

/**
 * A key acting on its siblings through /v1/api-keys: it may act on itself and on keys no stronger
 * than itself, never on a key holding a scope it lacks (docs/identity.md, "Keys acting on keys").
 */

const ACTOR: Scope[] = ["api_keys:manage", "questions:read", "tests:read"];
const SIBLINGS = {
  weaker: ["questions:read"],
  equal: ACTOR,
  stronger: [...ACTOR, "attempts:write"],
} satisfies Record<string, Scope[]>;
type Strength = keyof typeof SIBLINGS;

/** An owner, the acting key, and one sibling of each strength, all made by the owner's session. */
async function family() {
  const owner = await createUser();
  const actor = await createApiKey(owner.headers, { scopes: ACTOR, name: "actor" });
  const siblings = {} as Record<Strength, Awaited<ReturnType<typeof createApiKey>>>;
  for (const strength of Object.keys(SIBLINGS) as Strength[]) {
    siblings[strength] = await createApiKey(owner.headers, { scopes: SIBLINGS[strength], name: strength });
  }
  return { owner, actor, siblings };
}

const rotate = (id: string, headers: Record<string, string>) => call(`/v1/api-keys/${id}/rotate`, { method: "POST", headers });
const revoke = (id: string, headers: Record<string, string>) => call(`/v1/api-keys/${id}`, { method: "DELETE", headers });
const read = (id: string, headers: Record<string, string>) => call(`/v1/api-keys/${id}`, { headers });

describe("a key acting on weaker, equal and stronger siblings", () => {
  it("create: it mints weaker and equal keys, never a stronger one", async () => {
    const { actor } = await family();
    for (const strength of ["weaker", "equal"] as const) {
      const res = await sendJson("/v1/api-keys", "POST", { name: strength, scopes: SIBLINGS[strength] }, actor.headers);
      expect(res.status, strength).toBe(201);
    }
    const res = await sendJson("/v1/api-keys", "POST", { name: "stronger", scopes: SIBLINGS.stronger }, actor.headers);
    expect(res.status).toBe(403);
    expect(await problemOf(res)).toMatchObject({ code: "insufficient_scope", scope: "attempts:write" });
  });

  it("list: it sees itself and its weaker and equal siblings, not the stronger one", async () => {
    const { owner, actor, siblings } = await family();
    const listed = (await (await call("/v1/api-keys?limit=100", { headers: actor.headers })).json()) as { data: { id: string }[] };
    expect(listed.data.map((key) => key.id).sort()).toEqual([actor.id, siblings.weaker.id, siblings.equal.id].sort());
    // Pages are built over what it may see: a page of one never comes back empty.
    const first = (await (await call("/v1/api-keys?limit=1", { headers: actor.headers })).json()) as {
      data: { id: string }[];
      nextCursor: string;
    };
    expect(first.data).toHaveLength(1);
    // The owner's session lists all four.
    const all = (await (await call("/v1/api-keys?limit=100", { headers: owner.headers })).json()) as { data: unknown[] };
    expect(all.data).toHaveLength(4);
  });

  it("read: weaker and equal siblings and itself, not the stronger one", async () => {
    const { actor, siblings } = await family();
    for (const id of [actor.id, siblings.weaker.id, siblings.equal.id]) expect((await read(id, actor.headers)).status).toBe(200);
    const res = await read(siblings.stronger.id, actor.headers);
    expect(res.status).toBe(403);
    const problem = await problemOf(res);
    expect(problem).toMatchObject({ code: "insufficient_scope", scope: "attempts:write" });
    expect(JSON.stringify(problem)).not.toMatch(/pk_|prefix/);
  });

  it("rotate: weaker and equal siblings get new secrets; a stronger one is refused, audited, reported and untouched", async () => {
    const { owner, actor, siblings } = await family();
    for (const strength of ["weaker", "equal"] as const) {
      const res = await rotate(siblings[strength].id, actor.headers);
      expect(res.status, strength).toBe(200);
      expect(((await res.json()) as { key: string }).key).toMatch(/^pk_/);
    }
    const refused = await rotate(siblings.stronger.id, actor.headers);
    expect(refused.status).toBe(403);
    const problem = await problemOf(refused);
    expect(problem).toMatchObject({ code: "insufficient_scope", scope: "attempts:write" });
    expect(JSON.stringify(problem)).not.toContain("pk_");
    // The stronger key still answers to its old secret: nothing was rotated.
    expect((await read(siblings.stronger.id, siblings.stronger.headers)).status).toBe(200);
    const [audit] = await auditRows({ action: "api_key.rotated", targetId: siblings.stronger.id });
    expect(audit).toMatchObject({ status: "FAILURE", api_key_id: actor.id });
    expect(JSON.parse(audit!.metadata!)).toMatchObject({ reason: "stronger_key", scope: "attempts:write" });
    const events = await eventually(async () => {
      const rows = await securityEvents("privilege_escalation_attempt", owner.user.id);
      expect(rows).toHaveLength(1);
      return rows;
    });
    expect(events[0]!.api_key_id).toBe(actor.id);
    expect(JSON.parse(events[0]!.details)).toMatchObject({ reason: "stronger_api_key", targetKeyId: siblings.stronger.id });
  });

  it("revoke: weaker and equal siblings and itself; a stronger one is refused and keeps working", async () => {
    const { actor, siblings } = await family();
    for (const strength of ["weaker", "equal"] as const) expect((await revoke(siblings[strength].id, actor.headers)).status).toBe(204);
    for (const strength of ["weaker", "equal"] as const) {
      expect((await problemOf(await call("/v1/api-keys", { headers: siblings[strength].headers }))).code).toBe("key_revoked");
    }
    const refused = await revoke(siblings.stronger.id, actor.headers);
    expect(refused.status).toBe(403);
    expect((await problemOf(refused)).scope).toBe("attempts:write");
    expect((await call("/v1/api-keys", { headers: siblings.stronger.headers })).status).toBe(200);
    const [audit] = await auditRows({ action: "api_key.revoked", targetId: siblings.stronger.id });
    expect(audit!.status).toBe("FAILURE");
    // A key may always revoke itself.
    expect((await revoke(actor.id, actor.headers)).status).toBe(204);
  });

  it("a session acts on every key of its user, the strongest included", async () => {
    const { owner, siblings } = await family();
    expect((await read(siblings.stronger.id, owner.headers)).status).toBe(200);
    expect((await rotate(siblings.stronger.id, owner.headers)).status).toBe(200);
    expect((await revoke(siblings.stronger.id, owner.headers)).status).toBe(204);
  });

  it("a sibling holding a scope the owner's role has since lost is out of every key's reach", async () => {
    const admin = await createUser({ role: "admin" });
    const instructor = await createUser({ role: "instructor" });
    const actor = await createApiKey(instructor.headers, { scopes: ["api_keys:manage", "questions:read", "questions:write"] });
    const twin = await createApiKey(instructor.headers, { scopes: ["api_keys:manage", "questions:read", "questions:write"] });
    expect((await read(twin.id, actor.headers)).status).toBe(200);
    expect((await sendJson(`/v1/admin/users/${instructor.user.id}`, "PATCH", { role: "student" }, admin.headers)).status).toBe(200);
    // The actor no longer holds questions:write; the twin was still granted it.
    expect((await problemOf(await read(twin.id, actor.headers))).scope).toBe("questions:write");
  });
});

describe("racing writes to keys", () => {
  it("racing rotations never both rotate from one secret: the losers are told, and one secret works", async () => {
    const owner = await createUser();
    const key = await createApiKey(owner.headers, { scopes: ["api_keys:manage"] });
    const results = await Promise.all(Array.from({ length: 4 }, () => rotate(key.id, owner.headers)));
    for (const res of results) expect([200, 409]).toContain(res.status);
    const secrets = await Promise.all(
      results.filter((res) => res.status === 200).map(async (res) => ((await res.json()) as { key: string }).key),
    );
    expect(secrets.length).toBeGreaterThan(0);
    // Each success rotated a different secret (a chain), so exactly one handed-out secret is current.
    const rows = await auditRows({ action: "api_key.rotated", targetId: key.id });
    expect(rows.map((row) => row.status)).toEqual(secrets.map(() => "SUCCESS"));
    const rotatedFrom = rows.map((row) => (JSON.parse(row.changes!) as { before: { prefix: string } }).before.prefix);
    expect(new Set(rotatedFrom).size).toBe(rotatedFrom.length);
    const working = await Promise.all(
      secrets.map(async (secret) => (await call("/v1/api-keys", { headers: { Authorization: `Bearer ${secret}` } })).status),
    );
    expect(working.filter((status) => status === 200)).toHaveLength(1);
  });

  it("racing revocations of one key record exactly one revocation", async () => {
    const owner = await createUser();
    const key = await createApiKey(owner.headers, { scopes: ["questions:read"] });
    const results = await Promise.all(Array.from({ length: 4 }, () => revoke(key.id, owner.headers)));
    expect(results.map((res) => res.status)).toEqual([204, 204, 204, 204]);
    expect(await auditRows({ action: "api_key.revoked", targetId: key.id })).toHaveLength(1);
  });

  it("a rotation racing a revocation never hands out a secret for a revoked key", async () => {
    const owner = await createUser();
    const key = await createApiKey(owner.headers, { scopes: ["api_keys:manage"] });
    const [rotated, revoked] = await Promise.all([rotate(key.id, owner.headers), revoke(key.id, owner.headers)]);
    expect(revoked.status).toBe(204);
    const row = await env.DB.prepare("SELECT revoked_at FROM api_keys WHERE id = ?").bind(key.id).first<{ revoked_at: number | null }>();
    expect(row!.revoked_at).not.toBeNull();
    if (rotated.status === 200) {
      // The rotation landed first; the revocation then covered its new secret too.
      const { key: secret } = (await rotated.json()) as { key: string };
      expect((await problemOf(await call("/v1/api-keys", { headers: { Authorization: `Bearer ${secret}` } }))).code).toBe("key_revoked");
    } else {
      expect(rotated.status).toBe(409);
    }
  });

  it(`creations racing for the last free places stop at ${MAX_ACTIVE_API_KEYS} live keys`, async () => {
    const owner = await createUser();
    const now = Date.now();
    const filler = Array.from({ length: MAX_ACTIVE_API_KEYS - 2 }, (_, i) =>
      env.DB.prepare(
        "INSERT INTO api_keys (id, name, prefix, key_hash, scopes, owner_id, usage_count, created_at, updated_at) VALUES (?, 'filler', 'pk_filler', ?, '[\"questions:read\"]', ?, 0, ?, ?)",
      ).bind(`key_FILLER${owner.user.id.slice(-12)}${String(i).padStart(4, "0")}`, `filler-${owner.user.id}-${i}`, owner.user.id, now, now),
    );
    await env.DB.batch(filler);
    const results = await Promise.all(
      Array.from({ length: 5 }, (_, i) =>
        sendJson("/v1/api-keys", "POST", { name: `race ${i}`, scopes: ["questions:read"] }, owner.headers),
      ),
    );
    expect(results.map((res) => res.status).sort()).toEqual([201, 201, 409, 409, 409]);
    const live = await env.DB.prepare("SELECT COUNT(*) AS n FROM api_keys WHERE owner_id = ? AND revoked_at IS NULL")
      .bind(owner.user.id)
      .first<{ n: number }>();
    expect(live!.n).toBe(MAX_ACTIVE_API_KEYS);
    expect(await auditRows({ action: "api_key.created", actorId: owner.user.id })).toHaveLength(2);
  });
});

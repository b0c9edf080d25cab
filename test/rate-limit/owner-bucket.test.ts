import { env } from "cloudflare:workers";
import { describe, expect, it } from "vitest";
import { clock } from "../../src/lib/clock";
import { createApiKey, createUser } from "../helpers/auth";
import { problemOf } from "../helpers/http";
import { envWith } from "../helpers/rate-limit";
import { testApp } from "../helpers/test-app";

/**
 * A key cannot outrun its owner: its own rate limit is held to its owner's role ceiling, and every
 * credential of a user also counts against that user's bucket.
 */

const { request } = testApp();
const me = (headers: Record<string, string>, bindings: object) => request("/v1/me", { headers }, bindings);
const statusesOf = async (responses: Promise<Response>[]) => Promise.all(responses.map(async (res) => (await res).status));
const count = (statuses: number[], status: number) => statuses.filter((value) => value === status).length;

/** A user with `n` keys able to read /v1/me, with the minute of their creation behind them. */
async function ownerWithKeys(n: number, rateLimit?: { limit: number; windowSeconds: number }) {
  const owner = await createUser();
  const keys = [];
  for (let i = 0; i < n; i++) keys.push(await createApiKey(owner.headers, { scopes: ["profile:read"], rateLimit }));
  clock.advance(61_000);
  return { owner, keys };
}

describe("a key's own rate limit and its owner's role ceiling", () => {
  const create = (headers: Record<string, string>, rateLimit: unknown, bindings: object = env) =>
    request(
      "/v1/api-keys",
      {
        method: "POST",
        headers: { "Content-Type": "application/json", ...headers },
        body: JSON.stringify({ name: "k", scopes: ["profile:read"], rateLimit }),
      },
      bindings,
    );

  it("by default the ceiling is the api policy: no bigger burst and no faster pace", async () => {
    const owner = await createUser();
    for (const rateLimit of [
      { limit: 300, windowSeconds: 60 },
      { limit: 5, windowSeconds: 1 },
      { limit: 300, windowSeconds: 3600 },
    ]) {
      expect((await create(owner.headers, rateLimit)).status, JSON.stringify(rateLimit)).toBe(201);
    }
    for (const rateLimit of [
      { limit: 301, windowSeconds: 60 },
      { limit: 10, windowSeconds: 1 },
      { limit: 100_000, windowSeconds: 86_400 },
    ]) {
      const res = await create(owner.headers, rateLimit);
      expect(res.status, JSON.stringify(rateLimit)).toBe(400);
      expect((await problemOf(res)).errors).toEqual([expect.objectContaining({ path: "rateLimit" })]);
    }
  });

  it("is set per role by RATE_LIMIT_ROLE_CEILINGS", async () => {
    const bindings = envWith({ RATE_LIMIT_ROLE_CEILINGS: JSON.stringify({ instructor: { limit: 1200, windowSeconds: 60 } }) });
    const instructor = await createUser({ role: "instructor" });
    const student = await createUser();
    expect((await create(instructor.headers, { limit: 1000, windowSeconds: 60 }, bindings)).status).toBe(201);
    expect((await create(student.headers, { limit: 1000, windowSeconds: 60 }, bindings)).status).toBe(400);
    expect((await create(instructor.headers, { limit: 1201, windowSeconds: 60 }, bindings)).status).toBe(400);
  });

  it("refuses an invalid ceilings setting as a misconfiguration", async () => {
    for (const value of ['{"student":{"limit":0,"windowSeconds":60}}', '{"owner":{"limit":5,"windowSeconds":60}}', "not json"]) {
      const problem = await problemOf(await request("/health", {}, envWith({ RATE_LIMIT_ROLE_CEILINGS: value })));
      expect(problem.code, value).toBe("misconfigured");
      expect(problem.detail).toContain("RATE_LIMIT_ROLE_CEILINGS");
    }
  });

  it("holds a key made before the ceiling (or before a demotion) to it when it is used", async () => {
    const { keys } = await ownerWithKeys(1);
    await env.DB.prepare("UPDATE api_keys SET rate_limit_limit = 100000, rate_limit_window_seconds = 60 WHERE id = ?")
      .bind(keys[0]!.id)
      .run();
    const res = await me(keys[0]!.headers, env);
    expect(res.status).toBe(200);
    expect(res.headers.get("RateLimit-Policy")).toBe('"api";q=300;w=60');
  });
});

describe("every credential of a user counts against the user's bucket", () => {
  const bindings = envWith({ RATE_LIMIT_POLICIES: JSON.stringify({ api: { limit: 4, windowSeconds: 60, block: null } }) });

  it("three keys used in turn share the owner's capacity, and the owner's session with them", async () => {
    const { owner, keys } = await ownerWithKeys(3);
    const statuses: number[] = [];
    for (let round = 0; round < 3; round++) for (const key of keys) statuses.push((await me(key.headers, bindings)).status);
    expect(statuses).toEqual([200, 200, 200, 200, 429, 429, 429, 429, 429]);
    expect((await me(owner.headers, bindings)).status).toBe(429);
  });

  it("the same keys racing each other are admitted exactly up to the owner's capacity", async () => {
    const { keys } = await ownerWithKeys(3);
    const statuses = await statusesOf(keys.flatMap((key) => Array.from({ length: 3 }, () => me(key.headers, bindings))));
    expect(count(statuses, 200)).toBe(4);
    expect(count(statuses, 429)).toBe(5);
  });

  it("a key past its own limit does not spend its owner's capacity", async () => {
    const { owner, keys } = await ownerWithKeys(1, { limit: 2, windowSeconds: 60 });
    const statuses: number[] = [];
    for (let i = 0; i < 5; i++) statuses.push((await me(keys[0]!.headers, bindings)).status);
    expect(statuses).toEqual([200, 200, 429, 429, 429]);
    const own: number[] = [];
    for (let i = 0; i < 3; i++) own.push((await me(owner.headers, bindings)).status);
    expect(own).toEqual([200, 200, 429]);
  });
});

describe("blocks stay with the credential that earned them", () => {
  const bindings = envWith({
    RATE_LIMIT_POLICIES: JSON.stringify({
      api: {
        limit: 3,
        windowSeconds: 60,
        block: { breaches: 2, periodSeconds: 600, baseSeconds: 600, multiplier: 1, maxSeconds: 600, resetAfterSeconds: 600 },
      },
    }),
  });

  it("a flooding key is blocked; its owner is only limited for the window, never blocked", async () => {
    const { owner, keys } = await ownerWithKeys(2);
    const [flooder, other] = [keys[0]!, keys[1]!];
    // The other key and the flooder together fill the owner's bucket; the flooder then breaches its own.
    expect((await me(other.headers, bindings)).status).toBe(200);
    for (let i = 0; i < 2; i++) expect((await me(flooder.headers, bindings)).status).toBe(200);
    for (let i = 0; i < 3; i++) await me(flooder.headers, bindings);
    for (let i = 0; i < 3; i++) await me(other.headers, bindings); // refused by the owner's bucket: never a breach of it

    const flooded = await problemOf(await me(flooder.headers, bindings));
    expect(flooded).toMatchObject({ code: "rate_limited", blocked: true });
    const session = await problemOf(await me(owner.headers, bindings));
    expect(session).toMatchObject({ code: "rate_limited", blocked: false });

    clock.advance(61_000);
    expect((await me(owner.headers, bindings)).status).toBe(200);
    expect((await me(other.headers, bindings)).status).toBe(200);
    expect((await problemOf(await me(flooder.headers, bindings))).blocked).toBe(true);
  });
});

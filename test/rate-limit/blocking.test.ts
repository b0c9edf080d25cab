import { evictDurableObject } from "cloudflare:test";
import { env } from "cloudflare:workers";
import { and, eq } from "drizzle-orm";
import { describe, expect, it } from "vitest";
import { createDb } from "../../src/db";
import { rateLimitLogs, securityEvents } from "../../src/db/schema";
import { clock } from "../../src/lib/clock";
import { blockCache, limiterName } from "../../src/lib/security/rate-limit";
import { problemOf } from "../helpers/http";
import { envWith, limitedApp, uniqueKey } from "../helpers/rate-limit";

// 2 per minute; 3 denied requests within 5 minutes block for 60 s, then 120 s, 240 s… up to 600 s.
const policies = {
  api: {
    limit: 2,
    windowSeconds: 60,
    block: { breaches: 3, periodSeconds: 300, baseSeconds: 60, multiplier: 2, maxSeconds: 600, resetAfterSeconds: 3600 },
  },
};
const bindings = envWith({ RATE_LIMIT_POLICIES: JSON.stringify(policies) });

/** A limiter stand-in that always fails, to prove an answer came from the block cache. */
const brokenLimiter = {
  idFromName: () => ({}),
  get: () => ({
    decide: () => Promise.reject(new Error("limiter down")),
    blockState: () => Promise.reject(new Error("limiter down")),
    unblock: () => Promise.reject(new Error("limiter down")),
  }),
};

async function breachUntilBlocked(request: ReturnType<typeof limitedApp>["request"]) {
  const statuses: number[] = [];
  for (let i = 0; i < 5; i++) statuses.push((await request("/t/limited", {}, bindings)).status);
  return statuses;
}

describe("automatic blocking", () => {
  it("blocks a key that keeps breaching, answers from the isolate cache, and lets it go when the block ends", async () => {
    const key = uniqueKey();
    const { request } = limitedApp({ policy: "api", key: () => key });
    expect(await breachUntilBlocked(request)).toEqual([200, 200, 429, 429, 429]);

    // The window alone would admit again after 60 s; the block says 60 s from the third breach too,
    // so check mid-block that even a fresh window is refused.
    const blocked = await request("/t/limited", {}, bindings);
    expect(blocked.status).toBe(429);
    const problem = await problemOf(blocked);
    expect(problem.blocked).toBe(true);
    expect(Number(blocked.headers.get("Retry-After"))).toBeGreaterThan(55);

    // Cached: with the limiter broken (an `api` fault would fail open), the block still answers.
    const cached = await request("/t/limited", {}, { ...bindings, RATE_LIMITER: brokenLimiter });
    expect(cached.status).toBe(429);

    clock.advance(61_000);
    expect((await request("/t/limited", {}, bindings)).status).toBe(200);
  });

  it("escalates: a repeat offence blocks for longer, and a long quiet spell starts over", async () => {
    const key = uniqueKey();
    const { request } = limitedApp({ policy: "api", key: () => key });
    const stub = env.RATE_LIMITER.get(env.RATE_LIMITER.idFromName(limiterName("api", key)));

    await breachUntilBlocked(request);
    let state = await stub.blockState(clock.now());
    expect(state.level).toBe(1);
    expect(state.blockedUntil! - clock.now()).toBeLessThanOrEqual(60_000);

    clock.advance(61_000);
    await breachUntilBlocked(request);
    state = await stub.blockState(clock.now());
    expect(state.level).toBe(2);
    expect(state.blockedUntil! - clock.now()).toBeGreaterThan(60_000);
    expect(state.blockedUntil! - clock.now()).toBeLessThanOrEqual(120_000);

    clock.advance(121_000);
    await breachUntilBlocked(request);
    state = await stub.blockState(clock.now());
    expect(state.level).toBe(3);
    expect(state.blockedUntil! - clock.now()).toBeGreaterThan(120_000);

    // An hour without a block (resetAfterSeconds) and the next one is back to the first step.
    clock.advance(240_000 + 3_600_000);
    await breachUntilBlocked(request);
    state = await stub.blockState(clock.now());
    expect(state.level).toBe(1);
  });

  it("keeps a block across eviction of the Durable Object", async () => {
    const key = uniqueKey();
    const { request } = limitedApp({ policy: "api", key: () => key });
    await breachUntilBlocked(request);
    const stub = env.RATE_LIMITER.get(env.RATE_LIMITER.idFromName(limiterName("api", key)));
    await evictDurableObject(stub);
    blockCache.clear();

    clock.advance(30_000);
    const res = await request("/t/limited", {}, bindings);
    expect(res.status).toBe(429);
    expect((await problemOf(res)).blocked).toBe(true);
    expect((await stub.blockState(clock.now())).blockedUntil).not.toBeNull();
  });

  it("records breaches aggregated per key and window, and a block as a security event", async () => {
    const key = uniqueKey("ip");
    const { request } = limitedApp({ policy: "api", key: () => key });
    await breachUntilBlocked(request);
    const db = createDb(env.DB);
    const rows = await db
      .select()
      .from(rateLimitLogs)
      .where(and(eq(rateLimitLogs.policy, "api"), eq(rateLimitLogs.key, key)));
    expect(rows).toHaveLength(1);
    expect(rows[0]).toMatchObject({ keyKind: "ip", count: 3, limit: 2, windowSeconds: 60, blockLevel: 1 });
    expect(rows[0]!.blockedUntil).toBeGreaterThan(clock.now());

    const events = await db.select().from(securityEvents).where(eq(securityEvents.type, "rate_limit_block"));
    const event = events.find((row) => (row.details as { key?: string }).key === key);
    expect(event).toBeDefined();
    expect(event).toMatchObject({ severity: "MEDIUM", status: "OPEN" });
    expect(event!.details).toMatchObject({ policy: "api", level: 1, durationSeconds: 60 });
  });

  it("unblocks on request and forgets the escalation", async () => {
    const key = uniqueKey();
    const { request } = limitedApp({ policy: "api", key: () => key });
    await breachUntilBlocked(request);
    const stub = env.RATE_LIMITER.get(env.RATE_LIMITER.idFromName(limiterName("api", key)));
    const before = await stub.unblock(clock.now());
    expect(before.blockedUntil).not.toBeNull();
    blockCache.delete("api", key);
    clock.advance(60_000); // the window's own units expire; no block remains
    expect((await request("/t/limited", {}, bindings)).status).toBe(200);
    expect((await stub.blockState(clock.now())).level).toBe(0);
  });
});

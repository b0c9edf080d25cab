import { env } from "cloudflare:workers";
import { describe, expect, it } from "vitest";
import { clock } from "../../src/lib/clock";
import { limiterName } from "../../src/lib/security/rate-limit";
import { envWith, limitedApp, uniqueKey } from "../helpers/rate-limit";

const tightApi = (limit: number, windowSeconds = 60) =>
  envWith({ RATE_LIMIT_POLICIES: JSON.stringify({ api: { limit, windowSeconds, block: null } }) });

describe("sliding window exactness", () => {
  it("admits exactly the limit when 2,000 decisions on one key arrive at once", async () => {
    const stub = env.RATE_LIMITER.get(env.RATE_LIMITER.idFromName(limiterName("api", uniqueKey())));
    const now = clock.now();
    const decisions = await Promise.all(
      Array.from({ length: 2000 }, () => stub.decide({ now, limit: 100, windowMs: 60_000, cost: 1, block: null })),
    );
    expect(decisions.filter((decision) => decision.allowed)).toHaveLength(100);
    expect(decisions.filter((decision) => decision.remaining < 0)).toHaveLength(0);
  });

  it("admits exactly the limit through the HTTP middleware when 500 requests arrive at once", async () => {
    const key = uniqueKey();
    const { request } = limitedApp({ policy: "api", key: () => key });
    const bindings = tightApi(100);
    const responses = await Promise.all(Array.from({ length: 500 }, () => request("/t/limited", {}, bindings)));
    const statuses = responses.map((res) => res.status);
    expect(statuses.filter((status) => status === 200)).toHaveLength(100);
    expect(statuses.filter((status) => status === 429)).toHaveLength(400);
  });

  it("never admits more than the limit in any interval of the window's length, under concurrent bursts", async () => {
    const stub = env.RATE_LIMITER.get(env.RATE_LIMITER.idFromName(limiterName("api", uniqueKey())));
    const windowMs = 10_000;
    const limit = 20;
    const start = clock.now();
    const admitted: number[] = [];
    // Bursts of 15 concurrent decisions every 700 ms for 40 s: far more than the limit at every instant.
    for (let at = start; at < start + 40_000; at += 700) {
      const decisions = await Promise.all(
        Array.from({ length: 15 }, () => stub.decide({ now: at, limit, windowMs, cost: 1, block: null })),
      );
      for (const decision of decisions) if (decision.allowed) admitted.push(at);
    }
    for (const t of admitted) {
      const inWindow = admitted.filter((other) => other >= t && other < t + windowMs).length;
      expect(inWindow).toBeLessThanOrEqual(limit);
    }
    // It is a window, not a lockout: later bursts are admitted again as old units leave.
    expect(admitted.length).toBeGreaterThan(limit * 3);
  });

  it("counts costs: a request costing more than what is left is refused, cheaper ones still fit", async () => {
    const stub = env.RATE_LIMITER.get(env.RATE_LIMITER.idFromName(limiterName("ai", uniqueKey())));
    const now = clock.now();
    const request = { now, limit: 10, windowMs: 60_000, block: null };
    expect((await stub.decide({ ...request, cost: 7 })).remaining).toBe(3);
    const tooDear = await stub.decide({ ...request, cost: 4 });
    expect(tooDear.allowed).toBe(false);
    expect(tooDear.remaining).toBe(3);
    expect(tooDear.retryAfterMs).toBe(60_000);
    expect((await stub.decide({ ...request, cost: 3 })).allowed).toBe(true);
    expect((await stub.decide({ ...request, cost: 11, limit: 10 })).allowed).toBe(false);
  });

  it("keeps policies apart: the same key under two policies has two counters", async () => {
    const key = uniqueKey();
    const bindings = envWith({
      RATE_LIMIT_POLICIES: JSON.stringify({ api: { limit: 1, block: null }, search: { limit: 1, block: null } }),
    });
    const api = limitedApp({ policy: "api", key: () => key });
    const search = limitedApp({ policy: "search", key: () => key });
    expect((await api.request("/t/limited", {}, bindings)).status).toBe(200);
    expect((await search.request("/t/limited", {}, bindings)).status).toBe(200);
    expect((await api.request("/t/limited", {}, bindings)).status).toBe(429);
    expect((await search.request("/t/limited", {}, bindings)).status).toBe(429);
  });
});

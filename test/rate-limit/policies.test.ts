import { runDurableObjectAlarm } from "cloudflare:test";
import { env } from "cloudflare:workers";
import { describe, expect, it } from "vitest";
import { clock } from "../../src/lib/clock";
import { DEFAULT_POLICIES, limiterName, parsePolicies } from "../../src/lib/security/rate-limit";
import { uniqueKey } from "../helpers/rate-limit";

describe("policy settings", () => {
  it("uses the defaults when RATE_LIMIT_POLICIES is empty", () => {
    expect(parsePolicies(undefined)).toEqual(DEFAULT_POLICIES);
    expect(parsePolicies("  ")).toEqual(DEFAULT_POLICIES);
    expect(DEFAULT_POLICIES.auth).toMatchObject({ limit: 10, windowSeconds: 60, failMode: "closed" });
  });

  it("merges overrides field by field, including inside the block rule, and can turn blocking off", () => {
    const policies = parsePolicies(
      JSON.stringify({ auth: { limit: 5, block: { baseSeconds: 900 } }, export: { block: null }, ai: { failMode: "closed" } }),
    );
    expect(policies.auth).toMatchObject({ limit: 5, windowSeconds: 60, failMode: "closed" });
    expect(policies.auth.block).toEqual({ ...DEFAULT_POLICIES.auth.block, baseSeconds: 900 });
    expect(policies.export.block).toBeNull();
    expect(policies.ai.failMode).toBe("closed");
    expect(policies.api).toEqual(DEFAULT_POLICIES.api);
  });

  it("rejects unknown policies, unknown fields, bad values and bad JSON", () => {
    expect(() => parsePolicies('{"admin":{"limit":1}}')).toThrow();
    expect(() => parsePolicies('{"api":{"limt":1}}')).toThrow();
    expect(() => parsePolicies('{"api":{"limit":0}}')).toThrow();
    expect(() => parsePolicies('{"api":{"failMode":"maybe"}}')).toThrow();
    expect(() => parsePolicies("{api:")).toThrow();
  });
});

describe("Durable Object storage upkeep", () => {
  it("forgets an idle key's storage once nothing in it can matter", async () => {
    const stub = env.RATE_LIMITER.get(env.RATE_LIMITER.idFromName(limiterName("api", uniqueKey())));
    const block = { breaches: 1, periodMs: 60_000, baseMs: 60_000, multiplier: 2, maxMs: 600_000, resetAfterMs: 600_000 };
    const request = { limit: 1, windowMs: 60_000, cost: 1, block };
    await stub.decide({ ...request, now: clock.now() });
    await stub.decide({ ...request, now: clock.now() }); // breach → blocked, level 1
    expect((await stub.blockState(clock.now())).level).toBe(1);

    // Before the escalation memory (block + resetAfter) has passed, the alarm keeps everything.
    clock.advance(5 * 60_000);
    await runDurableObjectAlarm(stub);
    expect((await stub.blockState(clock.now())).level).toBe(1);

    clock.advance(20 * 60_000);
    await runDurableObjectAlarm(stub);
    expect(await stub.blockState(clock.now())).toEqual({ blockedUntil: null, level: 0 });
    // And the key works as new.
    expect((await stub.decide({ ...request, now: clock.now() })).allowed).toBe(true);
  });
});

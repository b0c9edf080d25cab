import { runInDurableObject } from "cloudflare:test";
import { env } from "cloudflare:workers";
import { describe, expect, it } from "vitest";
import type { LimitRequest, RateLimiter } from "../../src/durable-objects/rate-limiter";

/**
 * The limiter object keeps its window and meta row in memory and writes only what changes. These
 * check that storage always says what memory says, so an object that starts again (after eviction
 * or a deploy) decides exactly as the one before it would have.
 */

const request = (now: number, overrides: Partial<LimitRequest> = {}): LimitRequest => ({
  now,
  limit: 5,
  windowMs: 60_000,
  cost: 1,
  block: null,
  ...overrides,
});

function limiter() {
  return env.RATE_LIMITER.get(env.RATE_LIMITER.idFromName(`test:${crypto.randomUUID()}`));
}

/** What a fresh instance would read: drops the in-memory copies (as a restart does). */
function forgetMemory(instance: RateLimiter) {
  Object.assign(instance, { hits: null, metaRow: null });
}

function storedHits(state: DurableObjectState) {
  return state.storage.sql.exec<{ at: number; cost: number }>("SELECT at, cost FROM hits ORDER BY at").toArray();
}

describe("the limiter's memory and its storage", () => {
  it("a restarted object continues the same window", async () => {
    const stub = limiter();
    const t0 = 1_000_000_000;
    await runInDurableObject(stub, (instance: RateLimiter) => {
      expect(instance.decide(request(t0)).remaining).toBe(4);
      expect(instance.decide(request(t0 + 10_000, { cost: 2 })).remaining).toBe(2);
      forgetMemory(instance);
      const third = instance.decide(request(t0 + 20_000));
      expect(third).toMatchObject({ allowed: true, remaining: 1, resetMs: 40_000 });
      forgetMemory(instance);
      const denied = instance.decide(request(t0 + 30_000, { cost: 2 }));
      // Four units used, two asked: one must leave, the first (t0), at t0 + 60 s.
      expect(denied).toMatchObject({ allowed: false, remaining: 1, retryAfterMs: 30_000 });
    });
  });

  it("storage holds exactly the units still in the window, after expiry and after merges within one millisecond", async () => {
    const stub = limiter();
    const t0 = 2_000_000_000;
    await runInDurableObject(stub, (instance: RateLimiter, state) => {
      instance.decide(request(t0));
      instance.decide(request(t0));
      instance.decide(request(t0 + 30_000));
      expect(storedHits(state)).toEqual([
        { at: t0, cost: 2 },
        { at: t0 + 30_000, cost: 1 },
      ]);
      expect(instance.decide(request(t0 + 60_000)).remaining).toBe(3);
      expect(storedHits(state)).toEqual([
        { at: t0 + 30_000, cost: 1 },
        { at: t0 + 60_000, cost: 1 },
      ]);
    });
  });

  it("an unblock and a block survive a restart", async () => {
    const stub = limiter();
    const t0 = 3_000_000_000;
    const block = { breaches: 1, periodMs: 60_000, baseMs: 30_000, multiplier: 2, maxMs: 600_000, resetAfterMs: 3_600_000 };
    await runInDurableObject(stub, (instance: RateLimiter) => {
      for (let i = 0; i < 5; i++) instance.decide(request(t0, { block }));
      expect(instance.decide(request(t0 + 1, { block }))).toMatchObject({ allowed: false, newlyBlocked: true, blockedUntil: t0 + 30_001 });
      forgetMemory(instance);
      expect(instance.blockState(t0 + 2)).toEqual({ blockedUntil: t0 + 30_001, level: 1 });
      instance.unblock(t0 + 3);
      forgetMemory(instance);
      expect(instance.blockState(t0 + 4)).toEqual({ blockedUntil: null, level: 0 });
    });
  });
});

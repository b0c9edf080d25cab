import { describe, expect, it } from "vitest";
import { Cache } from "../../src/lib/cache";
import { cacheHarness, unique } from "./support";

const OPTIONS = { ttlMs: 60_000, tags: ["single-flight"] };

describe("single flight per isolate", () => {
  it("runs the loader once for concurrent misses of one key, each caller getting its own copy", async () => {
    const { ctx, count } = cacheHarness();
    const cache = new Cache();
    const key = unique("concurrent");
    let loads = 0;
    let release!: () => void;
    const gate = new Promise<void>((resolve) => (release = resolve));
    const loader = async () => {
      loads++;
      await gate;
      return { items: [1, 2, 3] };
    };
    const callers = Array.from({ length: 25 }, () => cache.getOrSet(ctx, key, OPTIONS, loader));
    release();
    const results = await Promise.all(callers);
    expect(loads).toBe(1);
    expect(cache.stats()).toMatchObject({ misses: 1, coalesced: 24 });
    // One lookup of the shared row for all 25 callers.
    expect(count(/^select .* from "cache_entries" where "cache_entries"."key" = \?/i)).toBe(1);
    for (const result of results) expect(result).toEqual({ items: [1, 2, 3] });
    results[0]!.items.push(4);
    expect(results[1]).toEqual({ items: [1, 2, 3] });
    expect(await cache.getOrSet(ctx, key, OPTIONS, loader)).toEqual({ items: [1, 2, 3] });
  });

  it("gives every waiting caller the loader's error, caches nothing, and loads again next time", async () => {
    const { ctx } = cacheHarness();
    const cache = new Cache();
    const key = unique("failing");
    let loads = 0;
    const failing = async () => {
      loads++;
      throw new Error("no such thing");
    };
    const outcomes = await Promise.allSettled([1, 2, 3].map(() => cache.getOrSet(ctx, key, OPTIONS, failing)));
    expect(outcomes.map((outcome) => outcome.status)).toEqual(["rejected", "rejected", "rejected"]);
    expect(loads).toBe(1);
    expect(await cache.getOrSet(ctx, key, OPTIONS, async () => "found")).toBe("found");
  });

  it("does not share a flight between keys", async () => {
    const { ctx } = cacheHarness();
    const cache = new Cache();
    let loads = 0;
    const [a, b] = await Promise.all(
      [unique("a"), unique("b")].map((key) =>
        cache.getOrSet(ctx, key, OPTIONS, async () => {
          loads++;
          return key;
        }),
      ),
    );
    expect(loads).toBe(2);
    expect(a).not.toBe(b);
  });
});

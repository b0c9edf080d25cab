import { describe, expect, it } from "vitest";
import { QuietPeriod } from "../../src/lib/security/quiet-period";

describe("QuietPeriod", () => {
  it("admits a subject once per period, each subject on its own", () => {
    const quiet = new QuietPeriod(60_000);
    expect(quiet.admit("key_a", 0)).toBe(true);
    expect(quiet.admit("key_a", 59_999)).toBe(false);
    expect(quiet.admit("key_b", 1)).toBe(true);
    expect(quiet.admit("key_a", 60_000)).toBe(true);
  });

  it("stays bounded: past its capacity it forgets and starts over", () => {
    const quiet = new QuietPeriod(60_000, 2);
    expect(quiet.admit("a", 0)).toBe(true);
    expect(quiet.admit("b", 0)).toBe(true);
    expect(quiet.admit("c", 0)).toBe(true);
    expect(quiet.admit("a", 1)).toBe(true);
  });

  it("does not stay silent when the clock moves back", () => {
    const quiet = new QuietPeriod(60_000);
    expect(quiet.admit("a", 100_000)).toBe(true);
    expect(quiet.admit("a", 50_000)).toBe(true);
  });
});

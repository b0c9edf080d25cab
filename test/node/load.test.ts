import { describe, expect, it } from "vitest";
import { runArrivals } from "../../scripts/load/open-model";
import { parseLoadArgs, UsageError } from "../../scripts/load/options";
import { rateLimitProblems, windowViolations } from "../../scripts/load/rate-limit-answers";
import { summarizeLatencies, summarizeRun, type Sample } from "../../scripts/load/recorder";
import { evaluateThresholds, SCORED_MEASURE } from "../../scripts/load/thresholds";

// The pure parts of `npm run load` (scripts/load/): no server is started here.

describe("npm run load arguments", () => {
  it("needs a known scenario and fills in that scenario's defaults", () => {
    expect(() => parseLoadArgs([])).toThrow(/--scenario is required/);
    expect(() => parseLoadArgs(["--scenario", "soak"])).toThrow(/unknown scenario "soak"/);
    expect(parseLoadArgs(["--scenario", "browse"])).toMatchObject({
      scenario: "browse",
      url: null,
      rate: 20,
      durationSeconds: 20,
      port: 8810,
    });
    expect(parseLoadArgs(["--scenario", "storm"])).toMatchObject({ rate: 10, durationSeconds: 10, answers: 5 });
  });

  it("reads a deployed target, its credential from the flag or PROCTOR_LOAD_TOKEN, and refuses api-keys without one", () => {
    const remote = parseLoadArgs(["--scenario", "browse", "--url", "https://staging.example.com/"], { PROCTOR_LOAD_TOKEN: "pk_env" });
    expect(remote).toMatchObject({ url: "https://staging.example.com", token: "pk_env" });
    expect(parseLoadArgs(["--scenario", "browse", "--token", "pk_flag"], { PROCTOR_LOAD_TOKEN: "pk_env" }).token).toBe("pk_flag");
    expect(() => parseLoadArgs(["--scenario", "api-keys", "--url", "https://staging.example.com"])).toThrow(
      /--token or PROCTOR_LOAD_TOKEN/,
    );
    expect(() => parseLoadArgs(["--scenario", "browse", "--url", "ftp://x"])).toThrow(/http\(s\) URL/);
  });

  it("parses thresholds, the error rate as a fraction or a percentage", () => {
    const options = parseLoadArgs([
      "--scenario=take-test",
      "--max-p99-ms=800",
      "--max-p50-ms",
      "100",
      "--min-rps=25.5",
      "--max-error-rate=1%",
      "--max-scored-ms=5000",
    ]);
    expect(options.thresholds).toEqual({
      maxP50Ms: 100,
      maxP90Ms: undefined,
      maxP99Ms: 800,
      maxErrorRate: 0.01,
      minRps: 25.5,
      maxScoredMs: 5000,
      maxAllScoredMs: undefined,
    });
    expect(parseLoadArgs(["--scenario=browse", "--max-error-rate=0.005"]).thresholds.maxErrorRate).toBe(0.005);
  });

  it("refuses malformed numbers and unknown flags with a sentence, as a UsageError", () => {
    for (const args of [
      ["--rate", "0"],
      ["--rate", "fast"],
      ["--users", "2.5"],
      ["--max-error-rate", "150%"],
      ["--max-p99", "10"],
      ["extra"],
    ]) {
      expect(() => parseLoadArgs(["--scenario", "browse", ...args]), args.join(" ")).toThrow(UsageError);
    }
    expect(() => parseLoadArgs(["--scenario", "browse", "--rate", "0"])).toThrow('--rate must be a number of at least 0.01, not "0"');
  });
});

describe("latency percentiles", () => {
  it("uses the nearest rank, in any input order", () => {
    const values = Array.from({ length: 100 }, (_, i) => 100 - i); // 100 … 1
    expect(summarizeLatencies(values)).toEqual({ count: 100, p50: 50, p90: 90, p99: 99, max: 100 });
    expect(summarizeLatencies([7])).toEqual({ count: 1, p50: 7, p90: 7, p99: 7, max: 7 });
    expect(summarizeLatencies([])).toEqual({ count: 0, p50: 0, p90: 0, p99: 0, max: 0 });
    // Ten samples: p99 is the slowest one, p90 the ninth.
    expect(summarizeLatencies([1, 2, 3, 4, 5, 6, 7, 8, 9, 1000])).toMatchObject({ p50: 5, p90: 9, p99: 1000 });
  });

  it("summarises a run: throughput, unexpected answers, answers by status and problem code, by request", () => {
    const sample = (label: string, ms: number, status: number, code: string | null = null, ok = status >= 200 && status < 300): Sample => ({
      label,
      ms,
      status,
      code,
      ok,
    });
    const samples = [
      sample("read", 10, 200),
      sample("read", 30, 200),
      sample("write", 20, 429, "rate_limited", true), // expected by the scenario: not an error
      sample("write", 40, 500, "internal_error"),
      sample("write", 5000, 0, "timeout"),
    ];
    const summary = summarizeRun(samples, 2, new Map([[SCORED_MEASURE, [900, 1100]]]));
    expect(summary).toMatchObject({ requests: 5, errors: 2, errorRate: 0.4, rps: 2.5, seconds: 2 });
    expect(summary.byStatus).toEqual({ "429 rate_limited": 1, "500 internal_error": 1, "0 timeout": 1 });
    expect(summary.byLabel.map((l) => [l.label, l.count, l.errors, l.max])).toEqual([
      ["read", 2, 0, 30],
      ["write", 3, 2, 5000],
    ]);
    expect(summary.measures[SCORED_MEASURE]).toMatchObject({ count: 2, max: 1100 });
  });
});

describe("thresholds", () => {
  const summary = summarizeRun(
    Array.from({ length: 100 }, (_, i) => ({
      label: "r",
      ms: i + 1,
      status: i < 98 ? 200 : 503,
      code: i < 98 ? null : "service_unavailable",
      ok: i < 98,
    })),
    10,
  );

  it("checks only what was given, each against its measure", () => {
    expect(evaluateThresholds(summary, {})).toEqual([]);
    expect(evaluateThresholds(summary, { maxP99Ms: 99, maxP50Ms: 49, maxErrorRate: 0.02, minRps: 10 })).toEqual([
      { name: "p50 ms", limit: 49, actual: 50, passed: false },
      { name: "p99 ms", limit: 99, actual: 99, passed: true },
      { name: "error rate", limit: 0.02, actual: 0.02, passed: true },
      { name: "requests/s", limit: 10, actual: 10, passed: true },
    ]);
    expect(evaluateThresholds(summary, { maxErrorRate: 0.01, minRps: 10.5 }).map((v) => v.passed)).toEqual([false, false]);
  });

  it("fails a threshold on a measure the scenario did not take, rather than passing it unseen", () => {
    const [verdict] = evaluateThresholds(summary, { maxScoredMs: 5000 });
    expect(verdict).toMatchObject({ name: `${SCORED_MEASURE} max ms`, passed: false });
    expect(verdict!.actual).toBeNaN();
  });
});

describe("rate-limit answers", () => {
  const now = 1_800_000_000;
  const headers = (fields: Record<string, string>) =>
    new Headers({
      "RateLimit-Policy": `"api";q=20;w=10`,
      RateLimit: `"api";r=0;t=7`,
      "X-RateLimit-Limit": "20",
      "X-RateLimit-Remaining": "0",
      "X-RateLimit-Reset": String(now + 7),
      "Retry-After": "7",
      ...fields,
    });
  const limited = { code: "rate_limited", retryAfterSeconds: 7, blocked: false };

  it("finds nothing wrong in answers that keep the documented contract", () => {
    expect(rateLimitProblems(429, headers({}), limited, now)).toEqual([]);
    expect(rateLimitProblems(200, headers({ RateLimit: `"api";r=12;t=3`, "X-RateLimit-Remaining": "12" }), {}, now)).toEqual([]);
    // A blocked key's Retry-After is the block's length, beyond the window.
    expect(rateLimitProblems(429, headers({ "Retry-After": "300" }), { ...limited, retryAfterSeconds: 300, blocked: true }, now)).toEqual(
      [],
    );
  });

  it("names each broken promise", () => {
    expect(rateLimitProblems(200, new Headers(), {}, now)).toEqual(["RateLimit-Policy missing", "RateLimit missing"]);
    expect(rateLimitProblems(429, headers({ "Retry-After": "0" }), { ...limited, retryAfterSeconds: 0 }, now)).toEqual([
      `Retry-After "0" on a 429 (want whole seconds ≥ 1)`,
    ]);
    expect(rateLimitProblems(429, headers({ "Retry-After": "30" }), { ...limited, retryAfterSeconds: 30 }, now)).toEqual([
      "Retry-After 30 s beyond the 10 s window",
    ]);
    expect(rateLimitProblems(429, headers({}), { ...limited, code: "forbidden" }, now)).toEqual(["a 429 with problem code forbidden"]);
    expect(rateLimitProblems(200, headers({ RateLimit: `"api";r=25;t=12`, "X-RateLimit-Remaining": "25" }), {}, now)).toEqual([
      "remaining 25 above the quota 20",
      "reset in 12 s, beyond the 10 s window",
    ]);
    expect(rateLimitProblems(200, headers({ "X-RateLimit-Limit": "300", "X-RateLimit-Reset": String(now + 3600) }), {}, now)).toEqual([
      "X-RateLimit-Limit 300 ≠ q=20",
      `X-RateLimit-Reset ${now + 3600} is not within the window from now (${now})`,
    ]);
  });

  it("proves a window violation only when limit + 1 admissions could not span the window", () => {
    // 3 per 1000 ms: four admissions answered within 600 ms of the first request leaving break it…
    const fast = [0, 100, 200, 300].map((t) => ({ sentAt: t, receivedAt: t + 300 }));
    expect(windowViolations(fast, 3, 1000)).toBe(1);
    // …but not when the fourth could have been decided a full window after the first.
    const lawful = [0, 100, 200, 1000].map((t) => ({ sentAt: t, receivedAt: t + 50 }));
    expect(windowViolations(lawful, 3, 1000)).toBe(0);
    // Slow answers leave room for a lawful order: no false alarm.
    const slow = [0, 10, 20, 30].map((t) => ({ sentAt: t, receivedAt: t + 1500 }));
    expect(windowViolations(slow, 3, 1000)).toBe(0);
    expect(windowViolations(fast.slice(0, 3), 3, 1000)).toBe(0);
  });
});

describe("open-model arrivals", () => {
  it("starts rate × duration arrivals on schedule, without waiting for earlier ones to finish", async () => {
    const startedAt: number[] = [];
    const t0 = performance.now();
    const stats = await runArrivals({ ratePerSecond: 100, durationSeconds: 0.2, maxInFlight: 100 }, async () => {
      startedAt.push(performance.now() - t0);
      await new Promise((resolve) => setTimeout(resolve, 150)); // slower than the interval: a closed loop would fall behind
    });
    expect(stats).toMatchObject({ planned: 20, started: 20, dropped: 0 });
    // The last arrival is due at 190 ms; with each taking 150 ms a closed loop would have started it after ~3 s.
    expect(startedAt.at(-1)!).toBeLessThan(600);
  });

  it("drops (and counts) arrivals beyond maxInFlight instead of queueing them", async () => {
    const stats = await runArrivals(
      { ratePerSecond: 200, durationSeconds: 0.05, maxInFlight: 2 },
      () => new Promise((resolve) => setTimeout(resolve, 200)),
    );
    expect(stats).toMatchObject({ planned: 10, started: 2, dropped: 8 });
  });
});

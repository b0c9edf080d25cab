import type { RunSummary } from "./recorder";

/** Pass/fail limits from the command line; each one left out is not checked. */
export interface Thresholds {
  maxP50Ms?: number;
  maxP90Ms?: number;
  maxP99Ms?: number;
  /** A fraction: 0.01 is 1 %. */
  maxErrorRate?: number;
  minRps?: number;
  /** The longest any submitted attempt waited for its score (take-test, storm). */
  maxScoredMs?: number;
  /** From the storm's first submit until every attempt was scored. */
  maxAllScoredMs?: number;
}

export interface Verdict {
  name: string;
  limit: number;
  actual: number;
  passed: boolean;
}

/** Names of the measures the scoring thresholds read (recorded by the take-test and storm scenarios). */
export const SCORED_MEASURE = "submit → scored";
export const ALL_SCORED_MEASURE = "first submit → all scored";

/** Each given threshold against the run. A threshold on a measure the scenario did not take fails: it cannot be met. */
export function evaluateThresholds(summary: RunSummary, thresholds: Thresholds): Verdict[] {
  const verdicts: Verdict[] = [];
  const atMost = (name: string, limit: number | undefined, actual: number | undefined) => {
    if (limit !== undefined) verdicts.push({ name, limit, actual: actual ?? Number.NaN, passed: actual !== undefined && actual <= limit });
  };
  atMost("p50 ms", thresholds.maxP50Ms, summary.latency.p50);
  atMost("p90 ms", thresholds.maxP90Ms, summary.latency.p90);
  atMost("p99 ms", thresholds.maxP99Ms, summary.latency.p99);
  atMost("error rate", thresholds.maxErrorRate, summary.errorRate);
  atMost(`${SCORED_MEASURE} max ms`, thresholds.maxScoredMs, summary.measures[SCORED_MEASURE]?.max);
  atMost(`${ALL_SCORED_MEASURE} ms`, thresholds.maxAllScoredMs, summary.measures[ALL_SCORED_MEASURE]?.max);
  if (thresholds.minRps !== undefined) {
    verdicts.push({ name: "requests/s", limit: thresholds.minRps, actual: summary.rps, passed: summary.rps >= thresholds.minRps });
  }
  return verdicts;
}

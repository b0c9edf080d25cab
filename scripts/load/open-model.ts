import { setTimeout as sleep } from "node:timers/promises";

export interface ArrivalPlan {
  ratePerSecond: number;
  durationSeconds: number;
  /** Unfinished arrivals allowed at once; one more is dropped (and counted) rather than queued. */
  maxInFlight: number;
}

export interface ArrivalStats {
  planned: number;
  started: number;
  /** Arrivals not started because maxInFlight were unfinished: the system (or the generator) fell behind. */
  dropped: number;
  /** How late the generator started its latest arrival: large values mean the generator itself is the bottleneck. */
  maxLagMs: number;
}

/**
 * An open-model load: arrival `i` starts at `i / rate` seconds whatever happened to earlier ones, so a
 * slow answer does not slow the offered load (a closed loop would wait, and hide the latency it caused).
 * Bounded: `rate × duration` arrivals, then it waits for the ones still running, each of which must end
 * by itself (every request has a timeout).
 */
export async function runArrivals(plan: ArrivalPlan, arrive: (i: number) => Promise<void>): Promise<ArrivalStats> {
  const planned = Math.max(1, Math.round(plan.ratePerSecond * plan.durationSeconds));
  const intervalMs = 1000 / plan.ratePerSecond;
  const inFlight = new Set<Promise<void>>();
  const stats: ArrivalStats = { planned, started: 0, dropped: 0, maxLagMs: 0 };
  const start = performance.now();
  for (let i = 0; i < planned; i++) {
    const due = start + i * intervalMs;
    const wait = due - performance.now();
    if (wait >= 1) await sleep(wait);
    stats.maxLagMs = Math.max(stats.maxLagMs, performance.now() - due);
    if (inFlight.size >= plan.maxInFlight) {
      stats.dropped++;
      continue;
    }
    stats.started++;
    const running: Promise<void> = arrive(i)
      .catch(() => {}) // an arrival records its own failures
      .finally(() => inFlight.delete(running));
    inFlight.add(running);
  }
  await Promise.all(inFlight);
  return stats;
}

/** Runs `work` over `items` with at most `concurrency` at a time (setup phases, polling rounds). */
export async function inParallel<T, R>(
  items: readonly T[],
  concurrency: number,
  work: (item: T, index: number) => Promise<R>,
): Promise<R[]> {
  const results = new Array<R>(items.length);
  let next = 0;
  const lane = async () => {
    while (next < items.length) {
      const index = next++;
      results[index] = await work(items[index]!, index);
    }
  };
  await Promise.all(Array.from({ length: Math.min(concurrency, items.length) }, lane));
  return results;
}

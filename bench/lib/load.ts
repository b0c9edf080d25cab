import { percentile } from "./table";

export interface LoadResult {
  requests: number;
  errors: number;
  seconds: number;
  rps: number;
  p50Ms: number;
  p99Ms: number;
}

/**
 * Sends `total` requests made by `makeRequest` with `concurrency` in flight, and reports throughput
 * and latency percentiles. Bounded in count: it stops by itself.
 */
export async function runLoad(
  total: number,
  concurrency: number,
  makeRequest: (i: number) => Promise<Response>,
  isOk: (res: Response) => boolean = (res) => res.ok,
): Promise<LoadResult> {
  const latencies: number[] = [];
  let errors = 0;
  let next = 0;
  const started = performance.now();
  async function worker() {
    while (next < total) {
      const i = next++;
      const t0 = performance.now();
      try {
        const res = await makeRequest(i);
        await res.arrayBuffer();
        if (!isOk(res)) errors++;
      } catch {
        errors++;
      }
      latencies.push(performance.now() - t0);
    }
  }
  await Promise.all(Array.from({ length: concurrency }, worker));
  const seconds = (performance.now() - started) / 1000;
  latencies.sort((a, b) => a - b);
  return {
    requests: total,
    errors,
    seconds,
    rps: total / seconds,
    p50Ms: percentile(latencies, 50),
    p99Ms: percentile(latencies, 99),
  };
}

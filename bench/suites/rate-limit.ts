import { createServer } from "node:net";
import { startUpstashBridge } from "../../scripts/upstash-bridge";
import { runLoad, type LoadResult } from "../lib/load";
import { startLocalServer } from "../lib/server";
import { printTable, type Row } from "../lib/table";

export const name = "rate-limit";

/** Each backend's `wrangler dev` runs on this port in turn. */
const PORT = 8791;
const LOAD_REQUESTS = 2000;
const LOAD_CONCURRENCY = 16;
const EXACT_REQUESTS = 2000;
const EXACT_LIMIT = 100;

/** An unknown path: the whole request spine but no limiter, the baseline. */
const BASELINE_PATH = "/v1/bench-no-such-route";
/**
 * A limited route called without a credential: `rateLimit({ policy: "api" })` keyed by client IP
 * decides, then `requireScope` answers 401 at once, so the difference from the baseline is the limiter.
 */
const LIMITED_PATH = "/v1/admin/rate-limits/blocks";

/** A distinct client per request (198.18.0.0/15 is the benchmarking range), so no request is denied. */
const ipFor = (i: number) => `198.18.${(i >> 8) & 255}.${i & 255}`;

/**
 * The Durable Object limiter and the Upstash backend (a real redis-server behind the local Upstash
 * REST bridge), each under `wrangler dev` in turn: decisions per second and the latency the limiter
 * adds, then the exactness run — 2,000 concurrent requests on one key with a limit of 100.
 */
export async function run(): Promise<void> {
  const bridge = await startUpstashBridge();
  const policies = JSON.stringify({ api: { limit: EXACT_LIMIT, windowSeconds: 60, block: null } });
  const backends: { backend: string; vars: Record<string, string> }[] = [
    { backend: "durable_object", vars: { RATE_LIMIT_BACKEND: "durable_object", RATE_LIMIT_POLICIES: policies } },
    {
      backend: "upstash",
      vars: {
        RATE_LIMIT_BACKEND: "upstash",
        RATE_LIMIT_POLICIES: policies,
        UPSTASH_REDIS_REST_URL: bridge.url,
        UPSTASH_REDIS_REST_TOKEN: bridge.token,
      },
    },
  ];
  const speed: Row[] = [];
  const exactness: Row[] = [];
  try {
    for (const { backend, vars } of backends) {
      // Another suite may hold the port for a while; a health check would then measure its server.
      await waitUntilFree(PORT);
      const server = await startLocalServer(PORT, { ...vars, LOG_LEVEL: "critical" });
      try {
        const baselineRequest = () => fetch(`${server.url}${BASELINE_PATH}`);
        const limitedRequest = (i: number) => fetch(`${server.url}${LIMITED_PATH}`, { headers: { "CF-Connecting-IP": ipFor(i) } });
        await runLoad(100, 8, baselineRequest, (res) => res.status === 404);
        await runLoad(100, 8, (i) => limitedRequest(60_000 + i), (res) => res.status === 401);

        const baseline = await runLoad(LOAD_REQUESTS, LOAD_CONCURRENCY, baselineRequest, (res) => res.status === 404);
        const limited = await runLoad(LOAD_REQUESTS, LOAD_CONCURRENCY, limitedRequest, (res) => res.status === 401);
        speed.push(speedRow(backend, baseline, limited));
        console.log(`  ${backend}: ${JSON.stringify(speed.at(-1))}`);

        const ip = "198.19.255.1";
        const statuses = await Promise.all(
          Array.from({ length: EXACT_REQUESTS }, async () => {
            try {
              const res = await fetch(`${server.url}${LIMITED_PATH}`, { headers: { "CF-Connecting-IP": ip } });
              await res.arrayBuffer();
              return res.status;
            } catch {
              return 0;
            }
          }),
        );
        const count = (status: number) => statuses.filter((s) => s === status).length;
        exactness.push({
          backend,
          sent: EXACT_REQUESTS,
          limit: EXACT_LIMIT,
          admitted: count(401),
          denied429: count(429),
          other: EXACT_REQUESTS - count(401) - count(429),
          exact: count(401) === EXACT_LIMIT ? "yes" : "NO",
        });
        console.log(`  ${backend}: ${JSON.stringify(exactness.at(-1))}`);
      } finally {
        await server.stop();
      }
    }
  } finally {
    await bridge.stop();
  }
  printTable(
    `Limiter throughput and added latency (wrangler dev, ${LOAD_REQUESTS} requests, ${LOAD_CONCURRENCY} in flight, a new key per request)`,
    speed,
  );
  printTable(`Exactness: ${EXACT_REQUESTS} concurrent requests on one key, limit ${EXACT_LIMIT} per 60 s`, exactness);
}

function speedRow(backend: string, baseline: LoadResult, limited: LoadResult): Row {
  return {
    backend,
    errors: baseline.errors + limited.errors,
    baselineRps: baseline.rps,
    decisionsPerSec: limited.rps,
    baselineP50Ms: baseline.p50Ms,
    limitedP50Ms: limited.p50Ms,
    addedP50Ms: limited.p50Ms - baseline.p50Ms,
    baselineP99Ms: baseline.p99Ms,
    limitedP99Ms: limited.p99Ms,
    addedP99Ms: limited.p99Ms - baseline.p99Ms,
  };
}

async function waitUntilFree(port: number): Promise<void> {
  const deadline = Date.now() + 5 * 60_000;
  for (;;) {
    const free = await new Promise<boolean>((resolve) => {
      const probe = createServer();
      probe.once("error", () => resolve(false));
      probe.listen(port, "127.0.0.1", () => probe.close(() => resolve(true)));
    });
    if (free) return;
    if (Date.now() > deadline) throw new Error(`port ${port} stayed busy for 5 minutes`);
    await new Promise((resolve) => setTimeout(resolve, 2000));
  }
}

import { createServer } from "node:net";
import { startUpstashBridge } from "../../scripts/upstash-bridge";
import { runLoad, type LoadResult } from "../lib/load";
import { startLocalServer, type LocalServer } from "../lib/server";
import { printTable, type Row } from "../lib/table";

export const name = "rate-limit";

/** Each backend's `wrangler dev` runs on this port in turn. */
const PORT = 8791;
const LOAD_REQUESTS = 2000;
const LOAD_CONCURRENCY = 16;
/** Warm keys: each gets LOAD_REQUESTS / WARM_KEYS requests, well under the limit. */
const WARM_KEYS = 50;
const EXACT_REQUESTS = 2000;
const EXACT_LIMIT = 100;

/** An unknown path: the whole request spine but no limiter, the baseline. */
const BASELINE_PATH = "/v1/bench-no-such-route";
/**
 * A limited route called without a credential: `rateLimit({ policy: "api" })` keyed by client IP
 * decides, then `requireScope` answers 401 at once, so the difference from the baseline is the limiter.
 */
const LIMITED_PATH = "/v1/admin/rate-limits/blocks";

/** Client addresses in the benchmarking range 198.18.0.0/15; `run` keeps each phase's apart. */
const ipFor = (n: number) => `198.${18 + ((n >> 16) & 1)}.${(n >> 8) & 255}.${n & 255}`;

/**
 * The Durable Object limiter and the Upstash backend (a real redis-server behind the local Upstash
 * REST bridge), each under `wrangler dev` in turn:
 *
 * - decisions per second and the latency the limiter adds over the baseline, with warm keys (the
 *   steady state) and with a new key per request (a new Durable Object / Redis key every time);
 * - exactness: 2,000 concurrent requests on one key with a limit of 100. This run uses a 30 s
 *   decision timeout so what is counted is the limiter's own verdict; a request admitted because the
 *   limiter did not answer in time (fail open) would show under `failedOpen`.
 */
export async function run(): Promise<void> {
  const bridge = await startUpstashBridge();
  const policies = JSON.stringify({ api: { limit: EXACT_LIMIT, windowSeconds: 60, block: null } });
  const backends: { backend: string; vars: Record<string, string> }[] = [
    { backend: "durable_object", vars: { RATE_LIMIT_BACKEND: "durable_object" } },
    {
      backend: "upstash",
      vars: { RATE_LIMIT_BACKEND: "upstash", UPSTASH_REDIS_REST_URL: bridge.url, UPSTASH_REDIS_REST_TOKEN: bridge.token },
    },
  ];
  const speed: Row[] = [];
  const exactness: Row[] = [];
  try {
    for (const { backend, vars } of backends) {
      // Another suite may hold the port for a while; a health check would then measure its server.
      await waitUntilFree(PORT);
      const server = await startLocalServer(PORT, {
        ...vars,
        RATE_LIMIT_POLICIES: policies,
        RATE_LIMIT_TIMEOUT_MS: "30000",
        LOG_LEVEL: "critical",
      });
      try {
        const baselineRequest = () => fetch(`${server.url}${BASELINE_PATH}`);
        const limitedRequest = (n: number) => fetch(`${server.url}${LIMITED_PATH}`, { headers: { "CF-Connecting-IP": ipFor(n) } });
        const isLimited = (res: Response) => res.status === 401 && res.headers.get("RateLimit") !== null;

        await runLoad(100, 8, baselineRequest, (res) => res.status === 404);
        await runLoad(WARM_KEYS, 8, (i) => limitedRequest(i), isLimited); // creates the warm keys
        const baseline = await runLoad(LOAD_REQUESTS, LOAD_CONCURRENCY, baselineRequest, (res) => res.status === 404);
        const warm = await runLoad(LOAD_REQUESTS, LOAD_CONCURRENCY, (i) => limitedRequest(i % WARM_KEYS), isLimited);
        const cold = await runLoad(LOAD_REQUESTS, LOAD_CONCURRENCY, (i) => limitedRequest(10_000 + i), isLimited);
        speed.push(speedRow(backend, "warm keys", baseline, warm), speedRow(backend, "new key per request", baseline, cold));
        for (const row of speed.slice(-2)) console.log(`  ${JSON.stringify(row)}`);

        exactness.push({ backend, ...(await exactnessRun(server, ipFor(100_000))) });
        console.log(`  ${JSON.stringify(exactness.at(-1))}`);
      } finally {
        await server.stop();
      }
    }
  } finally {
    await bridge.stop();
  }
  printTable(`Limiter throughput and added latency (wrangler dev, ${LOAD_REQUESTS} requests, ${LOAD_CONCURRENCY} in flight)`, speed);
  printTable(`Exactness: ${EXACT_REQUESTS} concurrent requests on one key, limit ${EXACT_LIMIT} per 60 s`, exactness);
}

async function exactnessRun(server: LocalServer, ip: string): Promise<Row> {
  const outcomes = await Promise.all(
    Array.from({ length: EXACT_REQUESTS }, async () => {
      try {
        const res = await fetch(`${server.url}${LIMITED_PATH}`, { headers: { "CF-Connecting-IP": ip } });
        await res.arrayBuffer();
        if (res.status === 429) return "denied";
        if (res.status === 401) return res.headers.get("RateLimit") ? "admitted" : "failedOpen";
        return "other";
      } catch {
        return "other";
      }
    }),
  );
  const count = (outcome: string) => outcomes.filter((o) => o === outcome).length;
  return {
    sent: EXACT_REQUESTS,
    limit: EXACT_LIMIT,
    admitted: count("admitted"),
    denied429: count("denied"),
    failedOpen: count("failedOpen"),
    other: count("other"),
    exact: count("admitted") === EXACT_LIMIT && count("failedOpen") === 0 ? "yes" : "NO",
  };
}

function speedRow(backend: string, keys: string, baseline: LoadResult, limited: LoadResult): Row {
  return {
    backend,
    keys,
    errors: limited.errors,
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

import { runLoad } from "../lib/load";
import { startLocalServer } from "../lib/server";
import { printTable, type Row } from "../lib/table";

export const name = "identity";

const PORT = 8793;
const PASSWORD = "Bench-Password-9!";

/**
 * What authentication costs per request: a public route as the baseline, then the same protected
 * route with a session token and with an API key (both served from the in-isolate credential cache
 * after the first request), and the login itself (one PBKDF2 at 100 000 iterations). Limits are
 * raised so the limiter never answers 429 here.
 */
export async function run(): Promise<void> {
  const server = await startLocalServer(PORT, {
    RATE_LIMIT_POLICIES: JSON.stringify({ api: { limit: 1_000_000, block: null }, auth: { limit: 1_000_000, block: null } }),
  });
  try {
    const json = (path: string, body: unknown, headers: Record<string, string> = {}) =>
      fetch(`${server.url}${path}`, {
        method: "POST",
        headers: { "Content-Type": "application/json", ...headers },
        body: JSON.stringify(body),
      });
    const email = `bench-${Date.now()}@example.test`;
    const registered = await json("/v1/auth/register", { email, password: PASSWORD, name: "Bench" });
    if (registered.status !== 201) throw new Error(`register failed: ${registered.status} ${await registered.text()}`);
    const { token } = (await (await json("/v1/auth/login", { email, password: PASSWORD })).json()) as { token: string };
    const session = { Authorization: `Bearer ${token}` };
    const created = (await (await json("/v1/api-keys", { name: "bench", scopes: ["profile:read"] }, session)).json()) as {
      id: string;
      key: string;
    };
    const apiKey = { Authorization: `Bearer ${created.key}` };

    const rows: Row[] = [];
    const measure = async (label: string, total: number, concurrency: number, request: () => Promise<Response>) => {
      await runLoad(20, 4, request); // warm-up
      const result = await runLoad(total, concurrency, request);
      rows.push({
        case: label,
        requests: result.requests,
        errors: result.errors,
        rps: result.rps,
        p50Ms: result.p50Ms,
        p99Ms: result.p99Ms,
      });
    };

    await measure("GET /health (liveness, no binding)", 300, 8, () => fetch(`${server.url}/health`));
    await measure("GET /v1/me, no credential (401)", 1000, 8, () => fetch(`${server.url}/v1/me`));
    await measure("GET /v1/me, session token", 1000, 8, () => fetch(`${server.url}/v1/me`, { headers: session }));
    await measure("GET /v1/me, API key", 1000, 8, () => fetch(`${server.url}/v1/me`, { headers: apiKey }));
    await measure("POST /v1/auth/login (PBKDF2 100k)", 100, 4, () => json("/v1/auth/login", { email, password: PASSWORD }));
    await measure("POST /v1/auth/login, wrong password", 100, 4, () => json("/v1/auth/login", { email, password: "Wrong-Password-9!" }));
    await measure("POST /v1/auth/login, unknown email", 100, 4, () =>
      json("/v1/auth/login", { email: `nobody-${Math.random()}@example.test`, password: PASSWORD }),
    );
    printTable("Authentication cost (wrangler dev, local bindings)", rows);

    // The key's counter is written in batches; the owner's view adds what this isolate has not flushed yet.
    await new Promise((resolve) => setTimeout(resolve, 6000));
    await fetch(`${server.url}/v1/me`, { headers: apiKey });
    const view = (await (await fetch(`${server.url}/v1/api-keys/${created.id}`, { headers: session })).json()) as { usageCount: number };
    printTable("API key usage accounting", [{ requestsWithKey: 1000 + 20 + 1, usageCountReported: view.usageCount }]);
  } finally {
    await server.stop();
  }
}

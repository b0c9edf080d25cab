import { rmSync } from "node:fs";
import { randomBytes } from "node:crypto";
import { createServer, type IncomingHttpHeaders } from "node:http";
import type { AddressInfo } from "node:net";
import { Webhook } from "standardwebhooks";
import { buildSeedSql, SEED_PASSWORD, SEED_QUESTIONS, SEED_USERS } from "../../scripts/seed";
import { seedLocalD1 } from "../lib/seed";
import { startLocalServer } from "../lib/server";
import { snapshotProject } from "../lib/snapshot";
import { percentile, printTable } from "../lib/table";

export const name = "events";

const PORT = 8803;
const CHANGES = Number(process.env.BENCH_EVENTS ?? 300);
const CONCURRENCY = 8;
const DELIVERY_TIMEOUT_MS = 180_000;

/** A local endpoint that checks every delivery's signature with `standardwebhooks` and notes when it came. */
async function startReceiver() {
  const arrivals = new Map<string, number>();
  let rejected = 0;
  let verifier: Webhook | null = null;
  const server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on("data", (chunk: Buffer) => chunks.push(chunk));
    req.on("end", () => {
      const at = performance.now();
      try {
        const headers = Object.fromEntries(Object.entries(req.headers as IncomingHttpHeaders).map(([k, v]) => [k, String(v)]));
        const event = verifier!.verify(Buffer.concat(chunks).toString("utf8"), headers) as { data: { questionId?: string } };
        if (event.data.questionId && !arrivals.has(event.data.questionId)) arrivals.set(event.data.questionId, at);
        res.writeHead(204).end();
      } catch {
        rejected++;
        res.writeHead(400).end();
      }
    });
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}/hook`,
    arrivals,
    rejected: () => rejected,
    trust(secret: string) {
      verifier = new Webhook(secret);
    },
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}

/**
 * From a change to a delivered webhook: an instructor creates questions (each commit writes its
 * `question.created` event in the same batch), the dispatcher fans each out to the instructor's
 * endpoint through the queues, and a local receiver verifies every signature. Reports events per
 * second end to end and the commit-to-delivery latency.
 */
export async function run(): Promise<void> {
  const receiver = await startReceiver();
  const snapshot = snapshotProject();
  const server = await startLocalServer(
    PORT,
    {
      RATE_LIMIT_POLICIES: JSON.stringify({ api: { limit: 1_000_000, block: null }, auth: { limit: 1_000_000, block: null } }),
      WEBHOOK_ALLOW_LOOPBACK: "true",
      WEBHOOK_SECRET_KEY: randomBytes(32).toString("base64"),
    },
    {
      cwd: snapshot,
      beforeStart: async (state) => seedLocalD1(state, await buildSeedSql(Date.now())),
    },
  );
  try {
    const post = (path: string, body: unknown, headers: Record<string, string> = {}) =>
      fetch(`${server.url}${path}`, {
        method: "POST",
        headers: { "Content-Type": "application/json", ...headers },
        body: JSON.stringify(body),
      });
    const login = await post("/v1/auth/login", { email: SEED_USERS[1].email, password: SEED_PASSWORD });
    if (login.status !== 200) throw new Error(`login: ${login.status} ${await login.text()}`);
    const instructor = { Authorization: `Bearer ${((await login.json()) as { token: string }).token}` };
    const hook = await post("/v1/webhooks", { url: receiver.url, eventTypes: ["question.created"] }, instructor);
    if (hook.status !== 201) throw new Error(`webhook: ${hook.status} ${await hook.text()}`);
    receiver.trust(((await hook.json()) as { secret: string }).secret);

    const commits = new Map<string, number>();
    let failed = 0;
    let next = 0;
    const started = performance.now();
    await Promise.all(
      Array.from({ length: CONCURRENCY }, async () => {
        while (next < CHANGES) {
          const i = next++;
          const res = await post("/v1/questions", { ...SEED_QUESTIONS[i % SEED_QUESTIONS.length], topic: `bench ${i}` }, instructor);
          if (res.status !== 201) {
            failed++;
            await res.arrayBuffer();
            continue;
          }
          commits.set(((await res.json()) as { id: string }).id, performance.now());
        }
      }),
    );
    const deadline = Date.now() + DELIVERY_TIMEOUT_MS;
    while ([...commits.keys()].some((id) => !receiver.arrivals.has(id)) && Date.now() < deadline) {
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
    const latencies = [...commits]
      .flatMap(([id, at]) => (receiver.arrivals.has(id) ? [receiver.arrivals.get(id)! - at] : []))
      .sort((a, b) => a - b);
    const lastArrival = Math.max(...[...commits.keys()].map((id) => receiver.arrivals.get(id) ?? 0));
    printTable("From a committed change to a delivered, signature-verified webhook (wrangler dev, local queues)", [
      {
        changes: CHANGES,
        committed: commits.size,
        refused: failed,
        delivered: latencies.length,
        badSignatures: receiver.rejected(),
        "events/s": latencies.length / ((lastArrival - started) / 1000),
        p50Ms: percentile(latencies, 50),
        p99Ms: percentile(latencies, 99),
        maxMs: latencies.at(-1) ?? 0,
      },
    ]);
  } finally {
    await server.stop();
    await receiver.close();
    rmSync(snapshot, { recursive: true, force: true });
  }
}

import { rmSync } from "node:fs";
import { randomUUID } from "node:crypto";
import { createServer } from "node:http";
import type { AddressInfo } from "node:net";
import { newId } from "../../src/lib/ids";
import { seedLocalD1 } from "../lib/seed";
import { startLocalServer } from "../lib/server";
import { snapshotProject } from "../lib/snapshot";
import { percentile, printTable } from "../lib/table";

export const name = "email";

const PORT = 8804;
const REGISTRATIONS = Number(process.env.BENCH_EMAIL_SINGLE ?? 200);
const SUMMARY_RECIPIENTS = Number(process.env.BENCH_EMAIL_BATCH ?? 1000);
const CONCURRENCY = 8;
const TIMEOUT_MS = 180_000;
const WEEKLY_CRON = "0 8 * * 2";

/** A local stand-in for Resend: answers like it (an id per message) and notes when each recipient's mail arrived. */
async function startResend() {
  const arrivals = new Map<string, number[]>();
  let calls = 0;
  const server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on("data", (chunk: Buffer) => chunks.push(chunk));
    req.on("end", () => {
      const at = performance.now();
      calls++;
      const body = JSON.parse(Buffer.concat(chunks).toString("utf8")) as { to: string[] } | { to: string[] }[];
      const messages = Array.isArray(body) ? body : [body];
      for (const message of messages) arrivals.set(message.to[0]!, [...(arrivals.get(message.to[0]!) ?? []), at]);
      res.writeHead(200, { "Content-Type": "application/json" });
      res.end(JSON.stringify(Array.isArray(body) ? { data: messages.map(() => ({ id: randomUUID() })) } : { id: randomUUID() }));
    });
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    arrivals,
    calls: () => calls,
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}

/** Students opted in to the weekly summary, written straight into the local D1 before the Worker starts. */
function summaryRecipientsSql(count: number, now: number): string {
  const lines: string[] = [];
  for (let i = 0; i < count; i++) {
    const id = newId("user", now + i);
    lines.push(
      `INSERT INTO users (id, email, name, role, password_hash, timezone, created_at, updated_at) VALUES ('${id}', 'weekly-${i}@bench.test', 'Student ${i}', 'student', 'x', 'UTC', ${now}, ${now});`,
      `INSERT INTO notification_preferences (user_id, weekly_summary, updated_at) VALUES ('${id}', 1, ${now});`,
    );
  }
  return lines.join("\n");
}

const rate = (count: number, ms: number) => (ms > 0 ? count / (ms / 1000) : 0);

async function waitFor(done: () => boolean) {
  const deadline = Date.now() + TIMEOUT_MS;
  while (!done() && Date.now() < deadline) await new Promise((resolve) => setTimeout(resolve, 100));
}

/**
 * From an event to an accepted provider call, through the real queues under wrangler dev: single
 * sends (each registration's `user.registered` event → verification and welcome mail, one call per
 * message) and batch sends (the weekly summary cron → pages of 100 recipients, one batch call each).
 */
export async function run(): Promise<void> {
  const resend = await startResend();
  const snapshot = snapshotProject();
  const server = await startLocalServer(
    PORT,
    {
      RATE_LIMIT_POLICIES: JSON.stringify({ api: { limit: 1_000_000, block: null }, auth: { limit: 1_000_000, block: null } }),
      RESEND_API_KEY: "re_bench_0123456789",
      RESEND_BASE_URL: resend.url,
    },
    {
      cwd: snapshot,
      beforeStart: (state) => seedLocalD1(state, summaryRecipientsSql(SUMMARY_RECIPIENTS, Date.now()), snapshot),
    },
  );
  try {
    // Single sends: every registration mails a verification link and a welcome.
    const committed = new Map<string, number>();
    let next = 0;
    const started = performance.now();
    await Promise.all(
      Array.from({ length: CONCURRENCY }, async () => {
        while (next < REGISTRATIONS) {
          const email = `new-${next++}-${randomUUID().slice(0, 8)}@bench.test`;
          const res = await fetch(`${server.url}/v1/auth/register`, {
            method: "POST",
            headers: { "Content-Type": "application/json" },
            body: JSON.stringify({ email, password: "Bench-Password-123!", name: "Bench Student" }),
          });
          await res.arrayBuffer();
          if (res.status === 201) committed.set(email, performance.now());
        }
      }),
    );
    const registered = performance.now();
    const expected = committed.size * 2;
    const arrivedFor = (emails: Iterable<string>) => [...emails].reduce((sum, email) => sum + (resend.arrivals.get(email)?.length ?? 0), 0);
    await waitFor(() => arrivedFor(committed.keys()) >= expected);
    const singleLatencies = [...committed]
      .flatMap(([email, at]) => (resend.arrivals.get(email) ?? []).map((arrival) => arrival - at))
      .sort((a, b) => a - b);
    const singleEnd = Math.max(...[...committed.keys()].flatMap((email) => resend.arrivals.get(email) ?? [0]));
    const singleCalls = resend.calls();

    // Batch sends: the weekly summary to every opted-in student.
    const fired = performance.now();
    const trigger = await fetch(`${server.url}/cdn-cgi/local/scheduled?cron=${encodeURIComponent(WEEKLY_CRON)}`);
    await trigger.arrayBuffer();
    const recipients = Array.from({ length: SUMMARY_RECIPIENTS }, (_, i) => `weekly-${i}@bench.test`);
    await waitFor(() => arrivedFor(recipients) >= SUMMARY_RECIPIENTS);
    const batchArrivals = recipients.flatMap((email) => resend.arrivals.get(email) ?? []).sort((a, b) => a - b);

    printTable("From an event to an accepted Resend call (wrangler dev, local queues, a local Resend stand-in)", [
      {
        mode: "single (registration → verify + welcome)",
        messages: expected,
        accepted: singleLatencies.length,
        providerCalls: singleCalls,
        "causes/s": rate(committed.size, registered - started),
        "emails/s": rate(singleLatencies.length, singleEnd - started),
        p50Ms: percentile(singleLatencies, 50),
        p99Ms: percentile(singleLatencies, 99),
      },
      {
        mode: `batch (weekly summary cron, ${trigger.status})`,
        messages: SUMMARY_RECIPIENTS,
        accepted: batchArrivals.length,
        providerCalls: resend.calls() - singleCalls,
        "causes/s": "1 cron",
        "emails/s": rate(batchArrivals.length, (batchArrivals.at(-1) ?? fired) - fired),
        p50Ms: percentile(
          batchArrivals.map((at) => at - fired),
          50,
        ),
        p99Ms: percentile(
          batchArrivals.map((at) => at - fired),
          99,
        ),
      },
    ]);
  } finally {
    await server.stop();
    await resend.close();
    rmSync(snapshot, { recursive: true, force: true });
  }
}

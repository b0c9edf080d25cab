import { execFileSync } from "node:child_process";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { buildSeedSql, SEED_PASSWORD, SEED_TESTS, SEED_USERS } from "../../scripts/seed";
import { runLoad } from "../lib/load";
import { startLocalServer } from "../lib/server";
import { percentile, printTable, type Row } from "../lib/table";

export const name = "exam";

const PORT = 8797;
const PASSWORD = "Bench-Password-9!";

/**
 * The exam routes under load on `wrangler dev` with the seeded world: answering (the hottest write),
 * reading a 23-question attempt, starting and submitting, submit-to-result latency through the
 * scoring queue, and a coupon capped at 10 redeemed by 40 buyers at once.
 */
export async function run(): Promise<void> {
  const server = await startLocalServer(
    PORT,
    { RATE_LIMIT_POLICIES: JSON.stringify({ api: { limit: 1_000_000, block: null }, auth: { limit: 1_000_000, block: null } }) },
    {
      async beforeStart(state) {
        const dir = mkdtempSync(join(tmpdir(), "proctor-exam-seed-"));
        try {
          const file = join(dir, "seed.sql");
          writeFileSync(file, await buildSeedSql(Date.now()));
          execFileSync("npx", ["wrangler", "d1", "execute", "DB", "--local", "--persist-to", state, "--file", file], {
            stdio: "ignore",
            env: { ...process.env, CI: "1", WRANGLER_SEND_METRICS: "false" },
          });
        } finally {
          rmSync(dir, { recursive: true, force: true });
        }
      },
    },
  );
  try {
    const post = (path: string, body: unknown, headers: Record<string, string> = {}, method = "POST") =>
      fetch(`${server.url}${path}`, { method, headers: { "Content-Type": "application/json", ...headers }, body: JSON.stringify(body) });
    const login = async (email: string, password: string) => {
      const res = await post("/v1/auth/login", { email, password });
      if (res.status !== 200) throw new Error(`login ${email}: ${res.status} ${await res.text()}`);
      return { Authorization: `Bearer ${((await res.json()) as { token: string }).token}` };
    };
    const student = await login(SEED_USERS[2].email, SEED_PASSWORD);
    const admin = await login(SEED_USERS[0].email, SEED_PASSWORD);
    const mock = SEED_TESTS[1]!.id;

    type AttemptView = { id: string; status: string; sections: { questions: { id: string; type: string; options?: string[] }[] }[] };
    const start = async () => {
      const res = await fetch(`${server.url}/v1/tests/${mock}/attempts`, { method: "POST", headers: student });
      if (res.status !== 201) throw new Error(`start: ${res.status} ${await res.text()}`);
      return (await res.json()) as AttemptView;
    };
    const submit = (id: string) => fetch(`${server.url}/v1/attempts/${id}/submit`, { method: "POST", headers: student });

    const attempt = await start();
    const questions = attempt.sections.flatMap((s) => s.questions);
    const mcqs = questions.filter((q) => q.type === "MCQ");
    const rows: Row[] = [];
    const measure = async (label: string, total: number, concurrency: number, request: (i: number) => Promise<Response>) => {
      await runLoad(10, 2, request);
      const r = await runLoad(total, concurrency, request);
      rows.push({ case: label, requests: r.requests, errors: r.errors, rps: r.rps, p50Ms: r.p50Ms, p99Ms: r.p99Ms });
    };

    await measure("PUT answer (MCQ, guarded upsert)", 1000, 8, (i) =>
      post(`/v1/attempts/${attempt.id}/answers/${mcqs[i % mcqs.length]!.id}`, { answer: i % 4, timeSpentSeconds: 1 }, student, "PUT"),
    );
    await measure(`GET attempt (${questions.length} questions + answers)`, 500, 8, () =>
      fetch(`${server.url}/v1/attempts/${attempt.id}`, { headers: student }),
    );
    await measure("GET /v1/tests (student)", 500, 8, () => fetch(`${server.url}/v1/tests`, { headers: student }));
    await submit(attempt.id);

    // Start → submit cycles (one running attempt per test, so sequential), then time to the scored result.
    const cycles: number[] = [];
    const toResult: number[] = [];
    for (let i = 0; i < 20; i++) {
      const t0 = performance.now();
      const a = await start();
      await post(`/v1/attempts/${a.id}/answers/${mcqs[0]!.id}`, { answer: 1 }, student, "PUT");
      const res = await submit(a.id);
      if (res.status !== 202) throw new Error(`submit: ${res.status}`);
      const t1 = performance.now();
      cycles.push(t1 - t0);
      for (let polls = 0; polls < 200; polls++) {
        const view = (await (await fetch(`${server.url}/v1/attempts/${a.id}`, { headers: student })).json()) as AttemptView;
        if (view.status === "SCORED") break;
        await new Promise((resolve) => setTimeout(resolve, 25));
      }
      toResult.push(performance.now() - t1);
    }
    cycles.sort((a, b) => a - b);
    toResult.sort((a, b) => a - b);
    rows.push({
      case: "start + answer + submit (sequential)",
      requests: 20,
      errors: 0,
      rps: "-",
      p50Ms: Math.round(percentile(cycles, 50)),
      p99Ms: Math.round(percentile(cycles, 99)),
    });
    rows.push({
      case: "submit → SCORED (queue + scoring job, 25 ms polls)",
      requests: 20,
      errors: 0,
      rps: "-",
      p50Ms: Math.round(percentile(toResult, 50)),
      p99Ms: Math.round(percentile(toResult, 99)),
    });
    printTable("Exam routes (wrangler dev, local bindings, seeded world)", rows);

    // 40 buyers race for a coupon capped at 10.
    const plan = SEED_TESTS.length > 0 ? "pln_0SEED000000000000000000001" : "";
    const code = `RACE${Date.now().toString(36).toUpperCase()}`;
    const coupon = await post("/v1/coupons", { code, kind: "percent", value: 50, maxRedemptions: 10 }, admin);
    if (coupon.status !== 201) throw new Error(`coupon: ${coupon.status} ${await coupon.text()}`);
    const buyers = await Promise.all(
      Array.from({ length: 40 }, async (_, i) => {
        const email = `bench-buyer-${Date.now()}-${i}@example.test`;
        await post("/v1/auth/register", { email, password: PASSWORD, name: "Buyer" });
        return login(email, PASSWORD);
      }),
    );
    const t0 = performance.now();
    const results = await Promise.all(buyers.map((headers) => post("/v1/subscriptions", { planId: plan, couponCode: code }, headers)));
    const elapsed = performance.now() - t0;
    const created = results.filter((r) => r.status === 201).length;
    const refused = results.filter((r) => r.status === 409).length;
    const view = (await (await fetch(`${server.url}/v1/coupons?limit=5`, { headers: admin })).json()) as {
      data: { code: string; redemptionCount: number }[];
    };
    printTable("Coupon cap under concurrency (cap 10, 40 simultaneous buyers)", [
      {
        buyers: 40,
        subscriptions: created,
        refused409: refused,
        redemptionCount: view.data.find((c) => c.code === code)?.redemptionCount ?? -1,
        wallMs: Math.round(elapsed),
      },
    ]);
  } finally {
    await server.stop();
  }
}

/**
 * `npm run fuzz`: fuzz every operation of docs/openapi.json against a local `wrangler dev` on a fresh,
 * seeded D1, as a student, an instructor, an admin, a student's scoped API key and nobody; fail on any
 * 5xx, undocumented status, answer off its documented schema, or error that is not problem+json.
 *
 *   npm run fuzz                         about a minute, a random seed (printed)
 *   npm run fuzz -- --seed 42            replay a seed (add --stop to stop at its first failure)
 *   npm run fuzz -- --budget 600         ten minutes; --long is the same
 *   npm run fuzz -- --runs 5000          stop after 5000 requests (or the budget, whichever first)
 *   npm run fuzz -- --only "/v1/tests"   only operations whose "METHOD /path" contains this
 *   npm run fuzz -- --self-check         prove the fuzzer catches planted bugs (no server)
 */
import { execFileSync } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { parseArgs } from "node:util";
import { startLocalServer, type LocalServer } from "../bench/lib/server";
import { startAiStub } from "./fuzz/ai-stub";
import { snapshotProject } from "../bench/lib/snapshot";
import { describeRequest, fuzz, type Caller, type Failure } from "./fuzz/core";
import { selfCheck } from "./fuzz/self-check";
import { QUEUE_NAMES } from "../src/db/schema";
import { buildSeedSql, SEED_PASSWORD, SEED_TESTS, SEED_USERS } from "./seed";

const { values: args } = parseArgs({
  options: {
    seed: { type: "string" },
    budget: { type: "string" },
    long: { type: "boolean", default: false },
    runs: { type: "string" },
    only: { type: "string" },
    stop: { type: "boolean", default: false },
    port: { type: "string", default: "8811" },
    "self-check": { type: "boolean", default: false },
  },
});

const seedArg = args.seed ?? process.env.FUZZ_SEED;
const seed = seedArg !== undefined && seedArg !== "" ? Number(seedArg) : Math.floor(Math.random() * 2 ** 31);
if (!Number.isInteger(seed)) throw new Error(`--seed (or FUZZ_SEED) must be an integer, got ${seedArg}`);
const budgetSeconds = args.budget !== undefined ? Number(args.budget) : args.long ? 600 : 60;
const env = { ...process.env, CI: "1", WRANGLER_SEND_METRICS: "false" };

/** Every limiter raised so the run tests handlers, not 429s (a documented 429 is still accepted). */
const RAISED_LIMITS = Object.fromEntries(
  ["api", "auth", "ai", "export", "search"].map((name) => [name, { limit: 1_000_000, block: null }]),
);
const SERVER_VARS = {
  RATE_LIMIT_POLICIES: JSON.stringify(RAISED_LIMITS),
  // Webhooks answer 503 until they have an encryption key; a fixed, fuzz-only one lets them run.
  WEBHOOK_SECRET_KEY: "ZnV6ei1vbmx5LXdlYmhvb2stc2VjcmV0LWtleS0zMmI=",
};

function report(failures: Failure[]): void {
  // One entry per operation and first reason (without its details), with the first request that showed it.
  const groups = new Map<string, Failure[]>();
  for (const failure of failures) {
    const key = `${failure.request.operation} — ${failure.reasons[0]!.replace(/:.*$/, "").replace(/\(.*\)/, "")}`;
    groups.set(key, [...(groups.get(key) ?? []), failure]);
  }
  console.log(`\n${failures.length} failing request(s), ${groups.size} distinct:`);
  for (const [key, group] of groups) {
    const first = group[0]!;
    console.log(
      `\n✗ ${key} (${group.length}×)\n${describeRequest(first.request)}\n  → ${first.status}: ${first.reasons.join("\n    ")}\n  body: ${first.responseBody.slice(0, 500)}`,
    );
  }
}

async function runSelfCheck(): Promise<number> {
  console.log(`fuzz self-check: seed ${seed}`);
  const { result, missed, falseAlarms } = await selfCheck(seed);
  console.log(`${result.requests} requests, ${result.failures.length} failures found in the planted app`);
  for (const what of missed) console.log(`✗ missed ${what}`);
  for (const alarm of falseAlarms) console.log(`✗ false alarm on the correct route: ${alarm}`);
  if (missed.length || falseAlarms.length) {
    console.log(`self-check FAILED (replay: npm run fuzz -- --self-check --seed ${seed})`);
    return 1;
  }
  console.log("self-check passed: the planted 500, schema mismatch, non-problem error and lenient body were all caught");
  return 0;
}

async function seedWorld(state: string): Promise<void> {
  const dir = mkdtempSync(join(tmpdir(), "proctor-fuzz-seed-"));
  try {
    const file = join(dir, "seed.sql");
    writeFileSync(file, await buildSeedSql(Date.now()));
    execFileSync("npx", ["wrangler", "d1", "execute", "DB", "--local", "--persist-to", state, "--file", file], { stdio: "ignore", env });
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

async function runFuzz(): Promise<number> {
  const document = JSON.parse(readFileSync("docs/openapi.json", "utf8"));
  console.log(
    `fuzz: seed ${seed}, budget ${budgetSeconds}s${args.runs ? `, at most ${args.runs} requests` : ""} (replay: npm run fuzz -- --seed ${seed})`,
  );
  const snapshot = snapshotProject();
  const ai = await startAiStub();
  let server: LocalServer | undefined;
  try {
    const t0 = Date.now();
    // AI routes are fuzzed configured, against a local stub (unconfigured they answer 503 by design).
    const vars = { ...SERVER_VARS, AI_BASE_URL: ai.url, AI_API_KEY: "sk-fuzz", AI_MODEL: "fuzz-model" };
    server = await startLocalServer(Number(args.port), vars, { cwd: snapshot, beforeStart: seedWorld });
    // A fuzz that overruns its budget by minutes is a fuzzer bug: end it, and the server with it.
    const stuck = server;
    setTimeout(
      () => {
        console.error(`fuzz: still running ${budgetSeconds + 120}s after the server started; stopping (seed ${seed})`);
        void stuck.stop().finally(() => process.exit(2));
      },
      (budgetSeconds + 120) * 1000,
    ).unref();
    console.log(`local server up in ${((Date.now() - t0) / 1000).toFixed(1)}s at ${server.url}`);
    const { url } = server;
    const post = (path: string, body: unknown, headers: Record<string, string> = {}) =>
      fetch(`${url}${path}`, { method: "POST", headers: { "Content-Type": "application/json", ...headers }, body: JSON.stringify(body) });
    const login = async (email: string): Promise<string> => {
      const res = await post("/v1/auth/login", { email, password: SEED_PASSWORD });
      if (res.status !== 200) throw new Error(`logging in ${email}: ${res.status} ${await res.text()}`);
      return ((await res.json()) as { token: string }).token;
    };
    const tokens = new Map<string, string>();
    for (const user of SEED_USERS) tokens.set(user.role, await login(user.email));
    const newKey = async (): Promise<string> => {
      const res = await post(
        "/v1/api-keys",
        { name: "fuzz", scopes: ["profile:read", "tests:read"] },
        { Authorization: `Bearer ${tokens.get("student")}` },
      );
      if (res.status !== 201) throw new Error(`creating the student's API key: ${res.status} ${await res.text()}`);
      return ((await res.json()) as { key: string }).key;
    };
    tokens.set("student-api-key", await newKey());
    const bearer = (role: string) => () => ({ Authorization: `Bearer ${tokens.get(role)}` });
    // Admins reach the most operations, so they call most often; every caller is in every run.
    const callers: Caller[] = [
      ...["admin", "admin", "admin", "instructor", "instructor", "student", "student"].map((role) => ({ role, headers: bearer(role) })),
      { role: "student-api-key", headers: bearer("student-api-key") },
      { role: "anonymous", headers: () => ({}) },
    ];
    // The callers' own accounts stay out of the id pool, so the fuzz does not disable or demote them;
    // users the fuzz registers are fair game.
    const callerIds = new Set<string>(SEED_USERS.map((u) => u.id));
    const ids = new Map<string, string[]>([["tst", SEED_TESTS.map((t) => t.id)]]);
    const started = Date.now();
    const result = await fuzz({
      document,
      fetch: (request) => fetch(request),
      baseUrl: url,
      callers,
      seed,
      budgetMs: budgetSeconds * 1000,
      maxRequests: args.runs ? Number(args.runs) : undefined,
      ids,
      named: { name: QUEUE_NAMES },
      filter: args.only ? (operation) => operation.includes(args.only!) : undefined,
      stopOnFailure: args.stop,
      async afterResponse(_request, response, caller) {
        const users = ids.get("usr");
        if (users)
          ids.set(
            "usr",
            users.filter((id) => !callerIds.has(id)),
          );
        // A request of the fuzz may end its own caller's session or key (logout, session or key revocation):
        // log in again so the rest of the run is not just 401s.
        if (response.status !== 401 || caller.role === "anonymous") return;
        if (caller.role === "student-api-key") tokens.set(caller.role, await newKey());
        else tokens.set(caller.role, await login(SEED_USERS.find((u) => u.role === caller.role)!.email));
      },
    });
    const seconds = ((Date.now() - started) / 1000).toFixed(1);
    const statusTotals = new Map<number, number>();
    for (const byStatus of result.statuses.values())
      for (const [status, n] of byStatus) statusTotals.set(status, (statusTotals.get(status) ?? 0) + n);
    const succeeded = [...result.statuses.entries()].filter(([, byStatus]) => [...byStatus.keys()].some((s) => s < 300)).length;
    console.log(
      `\n${result.requests} requests in ${seconds}s over ${result.statuses.size} operations (${succeeded} answered 2xx at least once)`,
    );
    const shallow = [...result.statuses.entries()].filter(([, byStatus]) => ![...byStatus.keys()].some((s) => s < 300)).map(([op]) => op);
    if (shallow.length) console.log(`never answered 2xx this run (${shallow.length}): ${shallow.sort().join(", ")}`);
    console.log(
      `statuses: ${[...statusTotals.entries()]
        .sort((a, b) => a[0] - b[0])
        .map(([s, n]) => `${s}×${n}`)
        .join(" ")}`,
    );
    const slowest = [...result.millis.entries()]
      .map(([op, ms]) => [op, ms / [...result.statuses.get(op)!.values()].reduce((a, b) => a + b, 0)] as const)
      .sort((a, b) => b[1] - a[1])
      .slice(0, 5);
    console.log(`slowest: ${slowest.map(([op, ms]) => `${op} ${ms.toFixed(0)}ms`).join(", ")}`);
    if (result.failures.length) {
      report(result.failures);
      console.log(`\nfuzz FAILED with seed ${seed} — replay: npm run fuzz -- --seed ${seed}${args.only ? ` --only "${args.only}"` : ""}`);
      return 1;
    }
    console.log(`fuzz passed (seed ${seed})`);
    return 0;
  } finally {
    await server?.stop();
    await ai.close();
    rmSync(snapshot, { recursive: true, force: true });
  }
}

process.exitCode = args["self-check"] ? await runSelfCheck() : await runFuzz();

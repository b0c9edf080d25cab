import { execFileSync } from "node:child_process";
import { cpSync, mkdtempSync, rmSync, symlinkSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { buildSeedSql, SEED_PASSWORD, SEED_TESTS, SEED_USERS } from "../../scripts/seed";
import { startLocalServer, type LocalServer } from "../lib/server";
import { snapshotProject } from "../lib/snapshot";
import { printTable, type Row } from "../lib/table";
import { hasWrk, runWrk, type WrkRequest } from "../lib/wrk";

export const name = "overhead";

const BARE_PORT = 8801;
const PROCTOR_PORT = 8802;
const SECONDS = Number(process.env.BENCH_SECONDS ?? 10);
const CONNECTIONS = 16;
/** Published copies of a seeded test, each read once for the cache-miss row (more than one run can read). */
const COPIES = 12_000;
const COPY_ID = (n: number) => `tst_0BENCH${String(n).padStart(20, "0")}`;

/** The targets of issue 10, as a share of the bare Worker's throughput. */
const TARGETS: Record<string, number> = {
  "unknown route → 404 (the spine)": 0.7,
  "GET /v1/me, API key (auth + limiter)": 0.5,
  "GET /v1/tests (list)": 0.4,
  "PATCH /v1/me (audited)": 0.3,
};

const env = { ...process.env, CI: "1", WRANGLER_SEND_METRICS: "false" };

/** The seeded world plus COPIES published copies of the first seeded test, ids COPY_ID(1…COPIES). */
async function seed(state: string): Promise<void> {
  const source = SEED_TESTS[0]!.id;
  const copies = `WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < ${COPIES})`;
  const copyId = (column: string) => `'tst_0BENCH' || printf('%020d', ${column})`;
  const sql = [
    await buildSeedSql(Date.now()),
    `${copies} INSERT INTO tests (id, author_id, title, description, duration_minutes, msq_scoring, published, published_at, created_at, updated_at)
       SELECT ${copyId("i")}, author_id, title || ' #' || i, description, duration_minutes, msq_scoring, 1, published_at, created_at - i, updated_at
       FROM tests, n WHERE tests.id = '${source}';`,
    `${copies} INSERT INTO test_sections (id, test_id, position, title, marks_per_question, negative_marks)
       SELECT 'sec_0BENCH' || printf('%018d', i) || printf('%02d', s.position), ${copyId("i")}, s.position, s.title, s.marks_per_question, s.negative_marks
       FROM test_sections s, n WHERE s.test_id = '${source}';`,
    `${copies} INSERT INTO test_section_questions (section_id, question_id, position)
       SELECT 'sec_0BENCH' || printf('%018d', i) || printf('%02d', s.position), q.question_id, q.position
       FROM test_sections s JOIN test_section_questions q ON q.section_id = s.id, n WHERE s.test_id = '${source}';`,
  ].join("\n");
  const dir = mkdtempSync(join(tmpdir(), "proctor-overhead-seed-"));
  try {
    const file = join(dir, "seed.sql");
    writeFileSync(file, sql);
    execFileSync("npx", ["wrangler", "d1", "execute", "DB", "--local", "--persist-to", state, "--file", file], { stdio: "ignore", env });
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

/** The bare Worker from bench/bare, run from a temporary copy so wrangler leaves no state in the tree. */
async function startBare(): Promise<{ server: LocalServer; dir: string }> {
  const dir = mkdtempSync(join(tmpdir(), "proctor-bare-"));
  cpSync(join(process.cwd(), "bench", "bare"), dir, { recursive: true });
  symlinkSync(join(process.cwd(), "node_modules"), join(dir, "node_modules"));
  return { server: await startLocalServer(BARE_PORT, {}, { cwd: dir, migrate: false }), dir };
}

async function json<T>(res: Response | Promise<Response>, expected: number): Promise<T> {
  const response = await res;
  if (response.status !== expected) throw new Error(`${response.url}: ${response.status} ${await response.text()}`);
  return (await response.json()) as T;
}

/**
 * What the request spine costs: the bare Worker and Proctor under the same wrangler and workerd, one
 * after the other in one run, with wrk (16 connections) against each. Rate limits are raised so the
 * limiter admits everything, but it still runs on every request it governs.
 */
export async function run(): Promise<void> {
  if (!(await hasWrk())) throw new Error("the overhead suite needs wrk: apt-get install wrk");
  const snapshot = snapshotProject();
  const bare = await startBare();
  let proctor: LocalServer | undefined;
  try {
    proctor = await startLocalServer(
      PROCTOR_PORT,
      { RATE_LIMIT_POLICIES: JSON.stringify({ api: { limit: 1_000_000, block: null }, auth: { limit: 1_000_000, block: null } }) },
      { cwd: snapshot, beforeStart: seed },
    );
    const url = proctor.url;
    const post = (path: string, body: unknown, headers: Record<string, string> = {}) =>
      fetch(`${url}${path}`, { method: "POST", headers: { "Content-Type": "application/json", ...headers }, body: JSON.stringify(body) });
    const { token } = await json<{ token: string }>(post("/v1/auth/login", { email: SEED_USERS[2].email, password: SEED_PASSWORD }), 200);
    const session = { Authorization: `Bearer ${token}` };
    const { key } = await json<{ key: string }>(
      post("/v1/api-keys", { name: "overhead bench", scopes: ["profile:read", "tests:read"] }, session),
      201,
    );
    const apiKey = { Authorization: `Bearer ${key}` };

    const cases: { label: string; server: LocalServer; request: WrkRequest }[] = [
      { label: "bare Worker", server: bare.server, request: { path: "/" } },
      { label: "unknown route → 404 (the spine)", server: proctor, request: { path: "/nowhere" } },
      { label: "GET /v1/me, API key (auth + limiter)", server: proctor, request: { path: "/v1/me", headers: apiKey } },
      { label: "GET /v1/tests (list)", server: proctor, request: { path: "/v1/tests", headers: apiKey } },
      {
        label: "PATCH /v1/me (audited)",
        server: proctor,
        request: {
          path: "/v1/me",
          method: "PATCH",
          headers: { ...session, "Content-Type": "application/json" },
          body: JSON.stringify({ name: "Overhead Bench" }),
        },
      },
      { label: "GET /v1/tests/:id, cache hit", server: proctor, request: { path: `/v1/tests/${COPY_ID(1)}`, headers: apiKey } },
      {
        label: "GET /v1/tests/:id, cache miss",
        server: proctor,
        // Each request names a copy no earlier request read: thread t reads copies t+1, t+1+threads, …
        request: {
          path: `/v1/tests/${COPY_ID(1)}`,
          headers: apiKey,
          pathOf: `string.format("/v1/tests/tst_0BENCH%020d", first + (n - 1) * THREADS + 2)`,
        },
      },
    ];

    const rows: Row[] = [];
    let bareRps = 0;
    for (const { label, server, request } of cases) {
      const base = server.url;
      await runWrk(base, { ...request, pathOf: undefined }, { seconds: 2, connections: CONNECTIONS }); // warm-up, never on the copies the miss row reads
      const errorsBefore = server.runtimeErrors();
      const result = await runWrk(base, request, { seconds: SECONDS, connections: CONNECTIONS });
      if (label === "bare Worker") bareRps = result.rps;
      const ratio = bareRps > 0 ? result.rps / bareRps : 0;
      const target = TARGETS[label];
      rows.push({
        request: label,
        requests: result.requests,
        "req/s": result.rps,
        p50Ms: result.p50Ms,
        p99Ms: result.p99Ms,
        "× bare": ratio,
        target: target === undefined ? "" : `≥ ${target}`,
        met: target === undefined ? "" : ratio >= target ? "yes" : "NO",
        "non-2xx": result.non2xx,
        socketErrors: result.socketErrors,
        runtimeErrors: server.runtimeErrors() - errorsBefore,
      });
    }
    printTable(`Request overhead against a bare Worker (wrangler dev, wrk ${CONNECTIONS} connections, ${SECONDS} s each)`, rows);
    const missRow = rows.at(-1)!;
    if (Number(missRow.requests) + 2 * CONNECTIONS > COPIES)
      console.log(`  note: the miss row read more than ${COPIES} copies; later reads were hits`);
  } finally {
    await proctor?.stop();
    await bare.server.stop();
    rmSync(bare.dir, { recursive: true, force: true });
    rmSync(snapshot, { recursive: true, force: true });
  }
}

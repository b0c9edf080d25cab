import { spawn, execFile, type ChildProcess } from "node:child_process";
import { mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { promisify } from "node:util";
import { ulid } from "../../src/lib/ids";
import { runLoad } from "../lib/load";
import { printTable, type Row } from "../lib/table";

export const name = "observability";

const PORT = 8790;
const EXPORT_ROWS = 200_000;
const ROWS_PER_INSERT = 200; // keeps each statement well under D1's 100 KB limit
const ADMIN_EMAIL = "bench-admin@example.test";
const PASSWORD = "Bench-Password-9!";
const exec = promisify(execFile);

/** 200,000 audit rows as multi-row INSERTs, spread over the last 7 days, 20 actors, varied actions. */
function seedSql(rows: number): string {
  const actions = ["question.updated", "test.published", "attempt.submitted", "auth.login", "user.updated"];
  const now = Date.now();
  const lines: string[] = [];
  for (let start = 0; start < rows; start += ROWS_PER_INSERT) {
    const values: string[] = [];
    for (let i = start; i < Math.min(rows, start + ROWS_PER_INSERT); i++) {
      const createdAt = now - 7 * 86_400_000 + Math.floor((i * 7 * 86_400_000) / rows);
      const changes = JSON.stringify({ before: { title: `Old ${i}` }, after: { title: `New, "quoted" ${i}` } }).replaceAll("'", "''");
      values.push(
        `('aud_${ulid(createdAt)}','${actions[i % actions.length]}','SUCCESS','user','usr_bench${i % 20}',NULL,'question','qst_${i}','${changes}','203.0.113.${i % 250}','bench/1.0','DE','Berlin','FRA','req_${i}',${i % 40},NULL,${createdAt})`,
      );
    }
    lines.push(
      `INSERT INTO audit_logs (id, action, status, actor_type, actor_id, api_key_id, target_type, target_id, changes, ip, user_agent, country, city, colo, request_id, duration_ms, metadata, created_at) VALUES ${values.join(",")};`,
    );
  }
  return lines.join("\n");
}

/** The workerd process serving our port: a descendant of the `wrangler dev` we started. */
function workerdPid(rootPid: number): number | null {
  const parentOf = new Map<number, number>();
  const commandOf = new Map<number, string>();
  for (const entry of readdirSync("/proc")) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      const stat = readFileSync(`/proc/${entry}/stat`, "utf8");
      parentOf.set(Number(entry), Number(stat.slice(stat.lastIndexOf(")") + 2).split(" ")[1]));
      commandOf.set(Number(entry), readFileSync(`/proc/${entry}/cmdline`, "utf8"));
    } catch {
      // exited meanwhile
    }
  }
  const descends = (pid: number) => {
    for (let p: number | undefined = pid; p && p > 1; p = parentOf.get(p)) if (p === rootPid) return true;
    return false;
  };
  const candidates = [...commandOf].filter(([pid, cmd]) => /workerd/.test(cmd) && descends(pid)).map(([pid]) => pid);
  return candidates.at(-1) ?? null;
}

function memoryOf(pid: number): { rssMb: number; hwmMb: number } {
  const status = readFileSync(`/proc/${pid}/status`, "utf8");
  const kb = (field: string) => Number(new RegExp(`${field}:\\s+(\\d+)`).exec(status)?.[1] ?? 0);
  return { rssMb: kb("VmRSS") / 1024, hwmMb: kb("VmHWM") / 1024 };
}

async function startServer(state: string): Promise<{ url: string; child: ChildProcess }> {
  const env = { ...process.env, CI: "1", WRANGLER_SEND_METRICS: "false" };
  const vars = {
    ADMIN_EMAILS: ADMIN_EMAIL,
    LOG_LEVEL: "warn",
    RATE_LIMIT_POLICIES: JSON.stringify({
      api: { limit: 1_000_000, block: null },
      auth: { limit: 1_000_000, block: null },
      export: { limit: 1_000_000, block: null },
    }),
  };
  const child = spawn(
    "npx",
    ["wrangler", "dev", "--ip", "127.0.0.1", "--port", String(PORT), "--persist-to", state, "--log-level", "error",
      ...Object.entries(vars).flatMap(([key, value]) => ["--var", `${key}:${value}`])],
    { env, stdio: ["ignore", "ignore", "inherit"], detached: true },
  );
  const url = `http://127.0.0.1:${PORT}`;
  const deadline = Date.now() + 90_000;
  for (;;) {
    try {
      if ((await fetch(`${url}/health`)).ok) break;
    } catch {
      // not listening yet
    }
    if (Date.now() > deadline) throw new Error("wrangler dev did not become healthy within 90 s");
    await new Promise((resolve) => setTimeout(resolve, 250));
  }
  return { url, child };
}

/** Streams an export to nowhere, timing first byte and total, sampling workerd's and our own memory. */
async function measureExport(url: string, path: string, headers: Record<string, string>, pid: number | null): Promise<Row> {
  const before = pid ? memoryOf(pid) : null;
  let peakWorkerd = before?.rssMb ?? 0;
  let peakClient = process.memoryUsage().rss / 1048576;
  const sampler = setInterval(() => {
    if (pid) peakWorkerd = Math.max(peakWorkerd, memoryOf(pid).rssMb);
    peakClient = Math.max(peakClient, process.memoryUsage().rss / 1048576);
  }, 50);
  const started = performance.now();
  const res = await fetch(`${url}${path}`, { headers });
  if (!res.ok || !res.body) throw new Error(`export failed: ${res.status} ${await res.text()}`);
  let firstByteMs = 0;
  let bytes = 0;
  let newlines = 0;
  const reader = res.body.getReader();
  for (;;) {
    const { done, value } = await reader.read();
    if (done) break;
    if (bytes === 0) firstByteMs = performance.now() - started;
    bytes += value.byteLength;
    for (const byte of value) if (byte === 10) newlines++;
  }
  const seconds = (performance.now() - started) / 1000;
  clearInterval(sampler);
  const after = pid ? memoryOf(pid) : null;
  return {
    export: path.replace("/v1/admin/audit-logs/export?", ""),
    lines: newlines,
    mb: bytes / 1048576,
    firstByteMs,
    seconds,
    rowsPerSec: newlines / seconds,
    workerdRssBeforeMb: before?.rssMb ?? "n/a",
    workerdRssPeakMb: pid ? peakWorkerd : "n/a",
    workerdVmHWMMb: after?.hwmMb ?? "n/a",
    clientRssPeakMb: peakClient,
  };
}

/**
 * The cost of being observable: a bare route vs an authenticated, audited mutation (PATCH /v1/me:
 * session lookup, update + audit row in one D1 batch, error tracking and the metric point after the
 * response) side by side; then a 200,000-row audit export in CSV and NDJSON, timed, with workerd's
 * resident memory sampled from /proc to show it stays flat.
 */
export async function run(): Promise<void> {
  const state = mkdtempSync(join(tmpdir(), "proctor-bench-obs-"));
  const env = { ...process.env, CI: "1", WRANGLER_SEND_METRICS: "false" };
  let server: { url: string; child: ChildProcess } | undefined;
  try {
    await exec("npx", ["wrangler", "d1", "migrations", "apply", "DB", "--local", "--persist-to", state], { env });
    const seedFile = join(state, "seed.sql");
    const seedStarted = performance.now();
    writeFileSync(seedFile, seedSql(EXPORT_ROWS));
    await exec("npx", ["wrangler", "d1", "execute", "DB", "--local", "--persist-to", state, "--file", seedFile], {
      env,
      maxBuffer: 64 * 1024 * 1024,
    });
    const seedSeconds = (performance.now() - seedStarted) / 1000;

    server = await startServer(state);
    const { url } = server;
    const json = (path: string, method: string, body: unknown, headers: Record<string, string> = {}) =>
      fetch(`${url}${path}`, { method, headers: { "Content-Type": "application/json", ...headers }, body: JSON.stringify(body) });
    const registered = await json("/v1/auth/register", "POST", { email: ADMIN_EMAIL, password: PASSWORD, name: "Bench Admin" });
    if (registered.status !== 201) throw new Error(`register failed: ${registered.status} ${await registered.text()}`);
    const { token } = (await (await json("/v1/auth/login", "POST", { email: ADMIN_EMAIL, password: PASSWORD })).json()) as { token: string };
    const session = { Authorization: `Bearer ${token}` };

    const rows: Row[] = [];
    const measure = async (
      label: string,
      total: number,
      concurrency: number,
      request: (i: number) => Promise<Response>,
      isOk: (res: Response) => boolean = (res) => res.ok,
    ) => {
      const statuses = new Map<number, number>();
      const counted = (res: Response) => {
        if (!isOk(res)) statuses.set(res.status, (statuses.get(res.status) ?? 0) + 1);
        return isOk(res);
      };
      await runLoad(30, 4, request, isOk); // warm-up
      const result = await runLoad(total, concurrency, request, counted);
      const failures = [...statuses].map(([status, n]) => `${status}x${n}`).join(" ") || "-";
      rows.push({ case: label, requests: result.requests, errors: result.errors, failures, rps: result.rps, p50Ms: result.p50Ms, p99Ms: result.p99Ms });
    };
    await measure("GET /v1/nothing-here (bare: full spine, 404, no handler)", 2000, 8, () => fetch(`${url}/v1/nothing-here`), (res) => res.status === 404);
    await measure("PATCH /v1/me (session auth, update + audit row in one batch)", 1000, 8, (i) =>
      json("/v1/me", "PATCH", { name: `Bench Admin ${i}` }, session),
    );
    printTable("Bare route vs authenticated audited mutation (wrangler dev, local D1)", rows);

    const pid = server.child.pid ? workerdPid(server.child.pid) : null;
    const exports: Row[] = [];
    exports.push(await measureExport(url, "/v1/admin/audit-logs/export?format=csv&actorId=usr_bench7", session, pid));
    exports.push(await measureExport(url, "/v1/admin/audit-logs/export?format=csv", session, pid));
    exports.push(await measureExport(url, "/v1/admin/audit-logs/export?format=ndjson", session, pid));
    printTable(`Audit export (${EXPORT_ROWS} rows seeded in ${seedSeconds.toFixed(1)} s; workerd pid ${pid ?? "not found"})`, exports);
  } finally {
    if (server?.child.pid) process.kill(-server.child.pid, "SIGTERM");
    await new Promise((resolve) => setTimeout(resolve, 500));
    rmSync(state, { recursive: true, force: true });
  }
}

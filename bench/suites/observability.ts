import { execFile } from "node:child_process";
import { readFileSync, readdirSync, readlinkSync, rmSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { promisify } from "node:util";
import { ulid } from "../../src/lib/ids";
import { runLoad } from "../lib/load";
import { startLocalServer, type LocalServer } from "../lib/server";
import { snapshotProject } from "../lib/snapshot";
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

/** The process listening on 127.0.0.1:<port> (workerd under wrangler dev), found through /proc. */
function listenerPid(port: number): number | null {
  const wanted = `0100007F:${port.toString(16).toUpperCase().padStart(4, "0")}`;
  const inode = readFileSync("/proc/net/tcp", "utf8")
    .split("\n")
    .slice(1)
    .map((line) => line.trim().split(/\s+/))
    .find((cols) => cols[1] === wanted && cols[3] === "0A")?.[9];
  if (!inode) return null;
  for (const entry of readdirSync("/proc")) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      for (const fd of readdirSync(`/proc/${entry}/fd`)) {
        if (readlinkSync(`/proc/${entry}/fd/${fd}`) === `socket:[${inode}]`) return Number(entry);
      }
    } catch {
      // not ours to read, or gone
    }
  }
  return null;
}

/**
 * wrangler dev runs two workerd processes under one parent: a proxy listening on our port and the
 * runtime that executes the Worker and holds the local D1 (the one started with an inspector).
 * Returns the runtime's pid — the process whose memory an export could inflate.
 */
function workerRuntimePid(port: number): number | null {
  const proxy = listenerPid(port);
  if (!proxy) return null;
  const parentOf = (pid: number | string) => {
    const stat = readFileSync(`/proc/${pid}/stat`, "utf8");
    return Number(stat.slice(stat.lastIndexOf(")") + 2).split(" ")[1]);
  };
  const parent = parentOf(proxy);
  for (const entry of readdirSync("/proc")) {
    if (!/^\d+$/.test(entry) || Number(entry) === proxy) continue;
    try {
      const cmd = readFileSync(`/proc/${entry}/cmdline`, "utf8");
      if (cmd.includes("workerd") && cmd.includes("--inspector-addr") && parentOf(entry) === parent) return Number(entry);
    } catch {
      // gone
    }
  }
  return null;
}

function memoryOf(pid: number): { rssMb: number; hwmMb: number } {
  const status = readFileSync(`/proc/${pid}/status`, "utf8");
  const kb = (field: string) => Number(new RegExp(`${field}:\\s+(\\d+)`).exec(status)?.[1] ?? 0);
  return { rssMb: kb("VmRSS") / 1024, hwmMb: kb("VmHWM") / 1024 };
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
  const snapshot = snapshotProject();
  let server: LocalServer | undefined;
  let seedSeconds = 0;
  try {
    server = await startLocalServer(
      PORT,
      {
        ADMIN_EMAILS: ADMIN_EMAIL,
        LOG_LEVEL: "warn",
        RATE_LIMIT_POLICIES: JSON.stringify({
          api: { limit: 1_000_000, block: null },
          auth: { limit: 1_000_000, block: null },
          export: { limit: 1_000_000, block: null },
        }),
      },
      {
        cwd: snapshot,
        async beforeStart(state) {
          const started = performance.now();
          const seedFile = join(state, "seed.sql");
          writeFileSync(seedFile, seedSql(EXPORT_ROWS));
          await exec("npx", ["wrangler", "d1", "execute", "DB", "--local", "--persist-to", state, "--file", seedFile], {
            cwd: snapshot,
            env: { ...process.env, CI: "1", WRANGLER_SEND_METRICS: "false" },
            maxBuffer: 64 * 1024 * 1024,
          });
          seedSeconds = (performance.now() - started) / 1000;
        },
      },
    );
    const { url } = server;
    const json = (path: string, method: string, body: unknown, headers: Record<string, string> = {}) =>
      fetch(`${url}${path}`, { method, headers: { "Content-Type": "application/json", ...headers }, body: JSON.stringify(body) });
    const registered = await json("/v1/auth/register", "POST", { email: ADMIN_EMAIL, password: PASSWORD, name: "Bench Admin" });
    if (registered.status !== 201) throw new Error(`register failed: ${registered.status} ${await registered.text()}`);
    const { token } = (await (await json("/v1/auth/login", "POST", { email: ADMIN_EMAIL, password: PASSWORD })).json()) as {
      token: string;
    };
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
      rows.push({
        case: label,
        requests: result.requests,
        errors: result.errors,
        failures,
        rps: result.rps,
        p50Ms: result.p50Ms,
        p99Ms: result.p99Ms,
      });
    };
    await measure(
      "GET /v1/nothing-here (bare: full spine, 404, no handler)",
      2000,
      8,
      () => fetch(`${url}/v1/nothing-here`),
      (res) => res.status === 404,
    );
    await measure("PATCH /v1/me (session auth, update + audit row in one batch)", 1000, 8, (i) =>
      json("/v1/me", "PATCH", { name: `Bench Admin ${i}` }, session),
    );
    printTable("Bare route vs authenticated audited mutation (wrangler dev, local D1)", rows);

    const pid = workerRuntimePid(PORT);
    const exports: Row[] = [];
    exports.push(await measureExport(url, "/v1/admin/audit-logs/export?format=csv&actorId=usr_bench7", session, pid));
    exports.push(await measureExport(url, "/v1/admin/audit-logs/export?format=csv", session, pid));
    exports.push(await measureExport(url, "/v1/admin/audit-logs/export?format=ndjson", session, pid));
    printTable(
      `Audit export (${EXPORT_ROWS} rows seeded in ${seedSeconds.toFixed(1)} s; workerd runtime pid ${pid ?? "not found"})`,
      exports,
    );
  } finally {
    await server?.stop();
    rmSync(snapshot, { recursive: true, force: true });
  }
}

import { execFile } from "node:child_process";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { promisify } from "node:util";

const exec = promisify(execFile);

export interface WrkRequest {
  method?: string;
  headers?: Record<string, string>;
  body?: string;
  /** A Lua expression of `n` (this thread's request counter) and `first` (its first index) giving the path; default a fixed `path`. */
  pathOf?: string;
  path: string;
}

export interface WrkResult {
  requests: number;
  rps: number;
  p50Ms: number;
  p99Ms: number;
  non2xx: number;
  socketErrors: number;
}

const luaString = (value: string) => JSON.stringify(value); // a JSON string is a valid Lua string literal here

/** The Lua script wrk runs: method, headers and body, and per-thread paths when `pathOf` is given. */
function script(request: WrkRequest, threads: number): string {
  const headers = Object.entries(request.headers ?? {})
    .map(([name, value]) => `wrk.headers[${luaString(name)}] = ${luaString(value)}`)
    .join("\n");
  return `
wrk.method = ${luaString(request.method ?? "GET")}
${request.body !== undefined ? `wrk.body = ${luaString(request.body)}` : ""}
${headers}
local threadIndex = 0
function setup(thread)
  thread:set("first", threadIndex)
  threadIndex = threadIndex + 1
end
n = 0
function request()
  n = n + 1
  ${request.pathOf ? `return wrk.format(nil, ${request.pathOf.replaceAll("THREADS", String(threads))})` : `return wrk.format(nil, ${luaString(request.path)})`}
end
`;
}

const toMs = (value: string, unit: string) => Number(value) * ({ us: 0.001, ms: 1, s: 1000, m: 60_000 }[unit] ?? Number.NaN);

/**
 * Runs wrk (Debian's `wrk` package) against `baseUrl` for `seconds` with `connections` open, and
 * parses its summary. wrk is a C load generator: on a 2-core machine a Node client would compete with
 * workerd for the same cores far more than wrk does.
 */
export async function runWrk(
  baseUrl: string,
  request: WrkRequest,
  options: { seconds: number; connections: number; threads?: number },
): Promise<WrkResult> {
  const threads = options.threads ?? 2;
  const dir = mkdtempSync(join(tmpdir(), "proctor-wrk-"));
  try {
    const file = join(dir, "request.lua");
    writeFileSync(file, script(request, threads));
    const { stdout } = await exec("wrk", [
      `-t${threads}`,
      `-c${options.connections}`,
      `-d${options.seconds}s`,
      "--latency",
      "-s",
      file,
      `${baseUrl}${request.path}`,
    ]);
    const number = (pattern: RegExp) => Number(pattern.exec(stdout)?.[1] ?? 0);
    const latency = (p: string) => {
      const match = new RegExp(`^\\s+${p}%\\s+([\\d.]+)(us|ms|s|m)\\s*$`, "m").exec(stdout);
      return match ? toMs(match[1]!, match[2]!) : Number.NaN;
    };
    const socket = /Socket errors: connect (\d+), read (\d+), write (\d+), timeout (\d+)/.exec(stdout);
    return {
      requests: number(/(\d+) requests in/),
      rps: number(/Requests\/sec:\s+([\d.]+)/),
      p50Ms: latency("50"),
      p99Ms: latency("99"),
      non2xx: number(/Non-2xx or 3xx responses: (\d+)/),
      socketErrors: socket ? socket.slice(1).reduce((sum, n) => sum + Number(n), 0) : 0,
    };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

export async function hasWrk(): Promise<boolean> {
  try {
    await exec("wrk", ["--version"]).catch((error: { stdout?: string }) => {
      // wrk prints its version and exits 1
      if (!error.stdout?.includes("wrk")) throw error;
    });
    return true;
  } catch {
    return false;
  }
}

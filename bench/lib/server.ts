import { spawn, type ChildProcess } from "node:child_process";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { localCronsSetting, startLocalScheduler, wranglerCrons, type CronRun, type LocalScheduler } from "../../scripts/local-scheduler";
import { waitForServer } from "../../scripts/wait-for-server";

export interface LocalServer {
  url: string;
  /** Errors the runtime reported so far (uncaught exceptions, cross-request I/O), each also printed. */
  runtimeErrors(): number;
  /** Stops the scheduler and the runtime, and removes the state directory unless it was given (`persistTo`). */
  stop(): Promise<void>;
  /** SIGKILL to the runtime's whole process group (wrangler, workerd): a crash; the state directory stays. */
  crash(): Promise<void>;
}

/** How wrangler prints an error the runtime reported (`✘ [ERROR] Uncaught Error: …`). */
const RUNTIME_ERROR = /\[ERROR\]/;

function run(command: string, args: string[], env: NodeJS.ProcessEnv, cwd?: string): Promise<void> {
  return new Promise((resolve, reject) => {
    const child = spawn(command, args, { env, cwd, stdio: ["ignore", "ignore", "inherit"] });
    child.on("exit", (code) => (code === 0 ? resolve() : reject(new Error(`${command} ${args.join(" ")} exited ${code}`))));
  });
}

/**
 * Starts the Worker under `wrangler dev` (Miniflare, local bindings) on a fresh state directory with
 * the migrations applied, and waits until /health answers. `vars` override wrangler.toml settings.
 * The local scheduler fires wrangler.toml's crons beside it, unless `crons: false` or
 * PROCTOR_LOCAL_CRONS=off; `npm run bench` sets the latter (bench/run.ts): a tick landing in a
 * measurement would be timed with it.
 */
export async function startLocalServer(
  port: number,
  vars: Record<string, string> = {},
  options: {
    beforeStart?: (persistDir: string) => Promise<void> | void;
    /** Run from this copy of the project (a snapshot), so edits to the working tree do not reload the Worker mid-run. */
    cwd?: string;
    /** Apply the D1 migrations first (default true; a Worker without D1, such as the bare one, has none). */
    migrate?: boolean;
    /** Where the Worker's DevTools inspector listens (bench/lib/heap.ts reads the isolate's heap through it). */
    inspectorPort?: number;
    /** Reuse this state directory (a restart after `crash()`) and leave it in place on `stop()`. */
    persistTo?: string;
    /** Fire wrangler.toml's crons through the local scheduler (default: PROCTOR_LOCAL_CRONS, on unless off). */
    crons?: boolean;
    onCronRun?: (run: CronRun) => void;
  } = {},
): Promise<LocalServer> {
  const state = options.persistTo ?? mkdtempSync(join(tmpdir(), "proctor-bench-"));
  const env = { ...process.env, CI: "1", WRANGLER_SEND_METRICS: "false" };
  if (options.migrate ?? true) {
    await run("npx", ["wrangler", "d1", "migrations", "apply", "DB", "--local", "--persist-to", state], env, options.cwd);
  }
  // A suite may seed the migrated local D1 (under `state`) before the Worker opens it.
  await options.beforeStart?.(state);
  // Messages and job runs older than this runtime died with an earlier one on this state (a crash): the crons recover them at once.
  const runtimeVars = { LOCAL_RUNTIME_STARTED_AT: String(Date.now()), ...vars };
  const varArgs = Object.entries(runtimeVars).flatMap(([key, value]) => ["--var", `${key}:${value}`]);
  const child: ChildProcess = spawn(
    "npx",
    [
      "wrangler",
      "dev",
      "--ip",
      "127.0.0.1",
      "--port",
      String(port),
      "--persist-to",
      state,
      "--log-level",
      "error",
      ...(options.inspectorPort ? ["--inspector-port", String(options.inspectorPort)] : []),
      ...varArgs,
    ],
    { env, cwd: options.cwd, stdio: ["ignore", "ignore", "pipe"], detached: true },
  );
  let runtimeErrors = 0;
  child.stderr?.setEncoding("utf8");
  child.stderr?.on("data", (chunk: string) => {
    process.stderr.write(chunk);
    for (const line of chunk.split("\n")) if (RUNTIME_ERROR.test(line)) runtimeErrors += 1;
  });
  const url = `http://127.0.0.1:${port}`;
  const exited = new Promise<void>((resolve) => child.on("exit", () => resolve()));
  try {
    await waitForServer(url, { timeoutMs: 60_000, alive: () => child.exitCode === null && child.signalCode === null });
  } catch (error) {
    if (child.pid) process.kill(-child.pid, "SIGTERM"); // never leave a server behind on the port
    throw error;
  }
  const crons = (options.crons ?? localCronsSetting()) ? wranglerCrons(join(options.cwd ?? ".", "wrangler.toml")) : [];
  const scheduler: LocalScheduler | undefined =
    crons.length > 0 ? startLocalScheduler({ url, crons, log: () => {}, onRun: options.onCronRun }) : undefined;
  return {
    url,
    runtimeErrors: () => runtimeErrors,
    async stop() {
      await scheduler?.stop();
      if (child.pid) process.kill(-child.pid, "SIGTERM");
      await new Promise((resolve) => setTimeout(resolve, 500));
      if (!options.persistTo) rmSync(state, { recursive: true, force: true });
    },
    async crash() {
      if (child.pid) process.kill(-child.pid, "SIGKILL");
      await Promise.all([exited, scheduler?.stop()]);
    },
  };
}

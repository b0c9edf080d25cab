import { rmSync } from "node:fs";
import { seedLocalD1 } from "../../bench/lib/seed";
import { startLocalServer } from "../../bench/lib/server";
import { snapshotProject } from "../../bench/lib/snapshot";
import { buildSeedSql, SEED_PASSWORD, SEED_TESTS, SEED_USERS } from "../seed";
import { localStudentsSql } from "./local-students";
import type { LoadOptions } from "./options";

/** The server under load and the credentials the scenarios start from. */
export interface Target {
  baseUrl: string;
  local: boolean;
  /** An admin credential: discovery, question bank reads, search reindex, API keys. */
  adminToken: string | null;
  /** Students the local server was seeded with, each signed in (empty for a remote target). */
  students: string[];
  /** The test students take when `--test` names none (locally, the seeded mock). */
  defaultTestId: string | null;
  /** Errors the local runtime printed (uncaught exceptions…); 0 for a remote target. */
  runtimeErrors(): number;
  stop(): Promise<void>;
}

/**
 * The local server lifts the per-IP and per-user limits, as the benches do: every simulated student
 * comes from one address here, and the run measures the platform rather than the limiter. The
 * api-keys scenario gives its keys their own small limits, which still apply.
 */
const LIFTED = { limit: 1_000_000, block: null };
const LOCAL_VARS = {
  RATE_LIMIT_POLICIES: JSON.stringify({ api: LIFTED, auth: LIFTED, search: LIFTED, email: LIFTED }),
  LOG_LEVEL: "error",
};

async function signIn(baseUrl: string, email: string, password: string): Promise<string> {
  const res = await fetch(`${baseUrl}/v1/auth/login`, {
    method: "POST",
    headers: { "Content-Type": "application/json" },
    body: JSON.stringify({ email, password }),
  });
  if (res.status !== 200) throw new Error(`signing in ${email}: ${res.status} ${await res.text()}`);
  return ((await res.json()) as { token: string }).token;
}

/**
 * `--url` given: that server, with the admin credential from --token / PROCTOR_LOAD_TOKEN (optional for
 * the scenarios that do not need one). Otherwise `wrangler dev` on a snapshot of the project, a fresh
 * local state with the migrations applied, the demo world seeded (scripts/seed.ts) and `studentCount`
 * signed-in students beside it, signed in as the demo admin.
 */
export async function openTarget(options: LoadOptions, studentCount: number, log: (line: string) => void): Promise<Target> {
  if (options.url) {
    return {
      baseUrl: options.url,
      local: false,
      adminToken: options.token,
      students: [],
      defaultTestId: null,
      runtimeErrors: () => 0,
      stop: async () => {},
    };
  }
  log(`Starting a local server on port ${options.port} (wrangler dev, seeded world)…`);
  // The local cron scheduler stays off unless asked for (PROCTOR_LOCAL_CRONS=on), as in the benches: a
  // maintenance tick landing in a short run is timed with it, and a saturated server holds its stop.
  process.env.PROCTOR_LOCAL_CRONS ??= "off";
  const snapshot = snapshotProject();
  try {
    const now = Date.now();
    const students = await localStudentsSql(studentCount, now.toString(36), now);
    const seedSql = `${await buildSeedSql(now)}\n${students.sql}`;
    const server = await startLocalServer(options.port, LOCAL_VARS, {
      cwd: snapshot,
      beforeStart: (state) => seedLocalD1(state, seedSql, snapshot),
    });
    const adminToken = await signIn(server.url, SEED_USERS[0].email, SEED_PASSWORD).catch(async (error) => {
      await server.stop();
      throw error;
    });
    return {
      baseUrl: server.url,
      local: true,
      adminToken,
      students: students.tokens,
      defaultTestId: SEED_TESTS[1]!.id,
      runtimeErrors: server.runtimeErrors,
      stop: async () => {
        await server.stop();
        rmSync(snapshot, { recursive: true, force: true });
      },
    };
  } catch (error) {
    rmSync(snapshot, { recursive: true, force: true });
    throw error;
  }
}

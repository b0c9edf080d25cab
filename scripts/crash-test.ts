/**
 * `npm run crash-test`: proves that a crash of the runtime loses nothing. On a fresh local state
 * (migrated and seeded as `npm start` does) students register, start, answer and submit attempts
 * through the HTTP API, all at once; mid-storm the runtime's whole process group gets SIGKILL while
 * scoring jobs, event dispatches, webhook deliveries and emails are queued and running. It starts
 * again on the same state with the local scheduler firing the crons (local queue messages do not
 * survive a restart: the crons' recovery has to find every job), the clients carry on as real
 * clients would, and once everything settled the run checks: every attempt scored exactly once, the
 * statistics exact against a recomputation from the answers, no job or event left unfinished, no
 * duplicate event or audit row, and every webhook and email delivered — repeated only as
 * at-least-once allows (same `webhook-id`, same Idempotency-Key). Exits non-zero on any failure.
 *
 *   npm run crash-test                            16 students × 4 attempts, about two minutes
 *   npm run crash-test -- --students 40 --attempts 6 --seed 7
 *   npm run crash-test -- --kill-at 0.8           kill once 80% of the submits were accepted
 *   npm run crash-test -- --keep-state            leave the state directory for a look
 */
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { parseArgs } from "node:util";
import { startLocalServer, type LocalServer } from "../bench/lib/server";
import { snapshotProject } from "../bench/lib/snapshot";
import { printTable, type Row } from "../bench/lib/table";
import { jobCensus, openLocalD1, runChecks, type Check } from "./crash-test/checks";
import { startResendStandIn, startWebhookReceiver } from "./crash-test/receivers";
import { startStorm } from "./crash-test/storm";
import type { CronRun } from "./local-scheduler";
import { SEED_PASSWORD, SEED_USERS } from "./seed";
import { prepareLocalDatabase } from "./start";

const { values: args } = parseArgs({
  options: {
    students: { type: "string", default: "16" },
    attempts: { type: "string", default: "4" },
    seed: { type: "string" },
    "kill-at": { type: "string", default: "0.5" },
    "webhook-delay-ms": { type: "string", default: "800" },
    "resend-delay-ms": { type: "string", default: "150" },
    "settle-timeout": { type: "string", default: "240" },
    port: { type: "string", default: "8813" },
    "keep-state": { type: "boolean", default: false },
  },
});

const students = Number(args.students);
const attemptsPerStudent = Number(args.attempts);
const seed = args.seed !== undefined ? Number(args.seed) : Math.floor(Math.random() * 2 ** 31);
const killAt = Number(args["kill-at"]);
const settleTimeoutMs = Number(args["settle-timeout"]) * 1000;
const port = Number(args.port);
for (const [name, value] of Object.entries({ students, attempts: attemptsPerStudent, seed, port, "settle-timeout": settleTimeoutMs })) {
  if (!Number.isInteger(value) || value < 0) throw new Error(`--${name} must be a whole number`);
}
if (!(killAt > 0 && killAt <= 1)) throw new Error("--kill-at is the share of submits accepted before the kill, in (0, 1]");
const WEBHOOK_EVENT_TYPES = ["attempt.submitted", "attempt.scored"];
const VARS = {
  RATE_LIMIT_POLICIES: JSON.stringify(Object.fromEntries(["api", "auth"].map((name) => [name, { limit: 1_000_000, block: null }]))),
  LOG_LEVEL: "error",
  WEBHOOK_ALLOW_LOOPBACK: "true",
  WEBHOOK_SECRET_KEY: "Y3Jhc2gtdGVzdC1vbmx5LXdlYmhvb2sta2V5LTMyYiE=",
  RESEND_API_KEY: "re_crash_test_only",
};

const pause = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));
const seconds = (ms: number) => `${(ms / 1000).toFixed(1)} s`;

async function json(url: string, path: string, init: RequestInit = {}) {
  const res = await fetch(`${url}${path}`, { ...init, headers: { "Content-Type": "application/json", ...(init.headers ?? {}) } });
  const body = (await res.json()) as Record<string, unknown>;
  if (!res.ok) throw new Error(`${path}: ${res.status} ${JSON.stringify(body)}`);
  return body;
}

interface QueueSummary {
  name: string;
  waiting: number;
  delayed: number;
  active: number;
}

const queueSummaries = async (url: string, auth: Record<string, string>) =>
  ((await json(url, "/v1/admin/queues", { headers: auth })) as { data: QueueSummary[] }).data;

async function scoringRunning(url: string, auth: Record<string, string>, deadline: number): Promise<boolean> {
  while (Date.now() < deadline) {
    const scoring = (await queueSummaries(url, auth)).find((queue) => queue.name === "scoring");
    if ((scoring?.active ?? 0) > 0) return true;
  }
  return false;
}

/** Nothing waiting, delayed or running in any queue, three polls in a row a second apart. */
async function settle(url: string, auth: Record<string, string>, deadline: number): Promise<boolean> {
  let quiet = 0;
  while (Date.now() < deadline) {
    const data = await queueSummaries(url, auth);
    quiet = data.every((queue) => queue.waiting + queue.delayed + queue.active === 0) ? quiet + 1 : 0;
    if (quiet === 3) return true;
    await pause(1000);
  }
  return false;
}

async function main(): Promise<number> {
  console.log(`crash-test: ${students} students × ${attemptsPerStudent} attempts, seed ${seed}, SIGKILL at ${killAt * 100}% of submits`);
  const t0 = Date.now();
  const snapshot = snapshotProject();
  const state = mkdtempSync(join(tmpdir(), "proctor-crash-"));
  const webhookReceiver = await startWebhookReceiver(Number(args["webhook-delay-ms"]));
  const resend = await startResendStandIn(Number(args["resend-delay-ms"]));
  const cronRuns: CronRun[] = [];
  const onCronRun = (run: CronRun) => {
    cronRuns.push(run);
    console.log(`[local cron] ${run.cron} → ${run.status ?? "-"} ${run.outcome} in ${run.durationMs} ms`);
  };
  const vars = { ...VARS, RESEND_BASE_URL: resend.url };
  const serverOptions = { cwd: snapshot, persistTo: state, migrate: false, crons: true, onCronRun };
  let server: LocalServer | undefined;
  try {
    await prepareLocalDatabase({ d1Args: ["--persist-to", state], quiet: true });
    server = await startLocalServer(port, vars, serverOptions);
    console.log(`local server up on a fresh seeded state in ${seconds(Date.now() - t0)}`);
    const admin = SEED_USERS.find((user) => user.role === "admin")!;
    const { token } = (await json(server.url, "/v1/auth/login", {
      method: "POST",
      body: JSON.stringify({ email: admin.email, password: SEED_PASSWORD }),
    })) as { token: string };
    const auth = { Authorization: `Bearer ${token}` };
    const { secret } = (await json(server.url, "/v1/webhooks", {
      method: "POST",
      headers: auth,
      body: JSON.stringify({ url: webhookReceiver.url, eventTypes: WEBHOOK_EVENT_TYPES }),
    })) as { secret: string };

    const url = server.url;
    const storm = startStorm(() => url, { students, attemptsPerStudent, seed, outageToleranceMs: 120_000 });
    let stormError: unknown;
    storm.done.catch((error: unknown) => (stormError = error));
    const total = students * attemptsPerStudent;
    const stormStarted = Date.now();
    while (storm.tally.submitsAccepted < Math.ceil(total * killAt) && !stormError) await pause(20);
    if (stormError) throw stormError;
    // A scoring job runs for milliseconds: for up to 10 s, wait for the moment the queue shows one running.
    const caughtScoring = await scoringRunning(server.url, auth, Date.now() + 10_000);

    await server.crash();
    const crashedAt = Date.now();
    const atCrash = openLocalD1(state);
    const census = jobCensus(atCrash);
    const inFlight = (sql: string) => (atCrash.prepare(sql).get() as { n: number }).n;
    const crashRows: Row[] = [
      ...[...census].map(([what, n]) => ({ what: `job ${what}`, count: n })),
      {
        what: "webhook/email deliveries PROCESSING",
        count: inFlight("SELECT count(*) AS n FROM event_deliveries WHERE status = 'PROCESSING'"),
      },
      { what: "emails still queued", count: inFlight("SELECT count(*) AS n FROM email_messages WHERE status = 'queued'") },
      { what: "attempts SUBMITTED, not yet scored", count: inFlight("SELECT count(*) AS n FROM attempts WHERE status = 'SUBMITTED'") },
    ];
    atCrash.close();
    printTable(
      `At the SIGKILL (${storm.tally.submitsAccepted} of ${total} submits accepted, ${seconds(crashedAt - stormStarted)} into the storm; ` +
        `${caughtScoring ? "the scoring queue showed a job running" : "no scoring job seen running"})`,
      crashRows,
    );

    server = await startLocalServer(port, vars, serverOptions);
    const restartedIn = Date.now() - crashedAt;
    console.log(`restarted on the same state in ${seconds(restartedIn)}; the clients carry on`);
    const tally = await storm.done;
    const stormEnded = Date.now();
    const settled = await settle(server.url, auth, Date.now() + settleTimeoutMs);
    const settledAt = Date.now();
    await server.stop();
    server = undefined;

    const checks: Check[] = [
      { check: `queues settled within ${settleTimeoutMs / 1000} s`, pass: settled, detail: `after ${seconds(settledAt - stormEnded)}` },
      ...runChecks(state, {
        tally,
        webhookCalls: webhookReceiver.calls,
        webhookSecret: secret,
        webhookEventTypes: WEBHOOK_EVENT_TYPES,
        resendCalls: resend.calls,
      }),
    ];
    printTable("The storm", [
      {
        students: tally.registered,
        attempts: tally.attemptsStarted,
        answers: tally.answersSaved,
        submits: tally.submitsAccepted,
        "cut off (start/answer/submit/other)": Object.values(tally.cutOff).join("/"),
        "refused while down": tally.refused,
        restart: seconds(restartedIn),
        "crash → settled": seconds(settledAt - crashedAt),
        "cron runs (ok/all)": `${cronRuns.filter((run) => run.outcome === "ok").length}/${cronRuns.length}`,
      },
    ]);
    printTable(
      "Checks",
      checks.map((c) => ({ result: c.pass ? "PASS" : "FAIL", check: c.check, detail: c.detail })),
    );
    const failed = checks.filter((c) => !c.pass).length;
    console.log(
      `\ncrash-test: ${failed === 0 ? "PASS" : `FAIL (${failed} of ${checks.length} checks)`} in ${seconds(Date.now() - t0)} (seed ${seed}${args["keep-state"] ? `, state kept in ${state}` : ""})`,
    );
    return failed === 0 ? 0 : 1;
  } finally {
    await server?.stop();
    await Promise.all([webhookReceiver.close(), resend.close()]);
    rmSync(snapshot, { recursive: true, force: true });
    if (!args["keep-state"]) rmSync(state, { recursive: true, force: true });
  }
}

process.exit(await main());

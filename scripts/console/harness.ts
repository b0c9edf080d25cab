/**
 * The admin console in a real browser: the Worker under `wrangler dev` on a fresh state directory,
 * a small world for its pages to show, and Debian's Chromium driven by playwright-core. Shared by the
 * browser tests (test/console/console.browser.test.ts) and `npm run console:screenshots`.
 *
 * The world: an admin, an instructor and a student registered through the API (the admin by
 * ADMIN_EMAILS, the instructor promoted by the admin), three hours of request traffic, tracked errors,
 * a failed job that succeeds when retried, open security events, two webhook endpoints (one failing),
 * cached reads, and the audit rows all of that wrote, sealed up to the last closed hour.
 * What the API cannot be asked to create (traffic history, errors, failures) is written into the
 * local D1 before the Worker starts, the way the runtime itself would have recorded it.
 */
import { readdirSync, readFileSync } from "node:fs";
import { createServer as createHttpServer } from "node:http";
import { createServer } from "node:net";
import { join } from "node:path";
import { chromium, type Browser, type BrowserContext, type Page } from "playwright-core";
import { apiClient } from "../../bench/lib/api";
import { seedLocalD1 } from "../../bench/lib/seed";
import { startLocalServer } from "../../bench/lib/server";
import { newId } from "../../src/lib/ids";
import { sketchIndex } from "../../src/lib/metrics/sketch";
import { insert, SEED_PASSWORD, SEED_USERS } from "../seed";

/** Debian's Chromium (`apt-get install chromium`; .ci/run installs it); CHROMIUM_PATH points elsewhere. */
const CHROMIUM = process.env.CHROMIUM_PATH ?? "/usr/bin/chromium";
/** Headless, and nothing of its own on the network: every request a page makes is the page's. */
const CHROMIUM_ARGS = [
  "--headless",
  "--no-sandbox",
  "--disable-gpu",
  "--disable-quic",
  "--no-first-run",
  "--disable-background-networking",
  "--disable-component-update",
  "--disable-sync",
];

/** The console's desktop and phone widths (the screenshots and the accessibility checks use both). */
export const DESKTOP = { width: 1280, height: 900 };
export const PHONE = { width: 390, height: 844 };

export interface Account {
  email: string;
  password: string;
  name: string;
}

export interface ConsoleWorld {
  url: string;
  admin: Account;
  student: Account;
  /** Rows seeded for the pages, by what they are. */
  ids: {
    criticalError: string;
    hostileError: string | null;
    failedJob: string;
    openSecurityEvent: string;
  };
  /** A hostile string stored as an error message when `hostile` was asked for. */
  hostileMessage: string;
  stop(): Promise<void>;
}

/** An error message that would run script if any page put it into the DOM as markup. */
const HOSTILE_MESSAGE = `<img src=x onerror="window.__pwned=1"><script>window.__pwned=1</script> crafted by a test`;

const ADMIN: Account = { email: SEED_USERS[0].email, password: SEED_PASSWORD, name: SEED_USERS[0].name };
const INSTRUCTOR: Account = { email: SEED_USERS[1].email, password: SEED_PASSWORD, name: SEED_USERS[1].name };
const STUDENT: Account = { email: SEED_USERS[2].email, password: SEED_PASSWORD, name: SEED_USERS[2].name };

/** A TCP port nothing listens on right now. */
function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const probe = createServer();
    probe.once("error", reject);
    probe.listen(0, "127.0.0.1", () => {
      const address = probe.address();
      const port = typeof address === "object" && address ? address.port : 0;
      probe.close(() => resolve(port));
    });
  });
}

const MINUTE = 60_000;

/** Three hours of `http.request` minute rows (what the isolates flush), with a bump and a short incident. */
function trafficRows(now: number): string[] {
  const rows: string[] = [];
  const thisMinute = Math.floor(now / MINUTE) * MINUTE;
  const routes = [
    { method: "GET", route: "/v1/tests", base: 24, ms: 18 },
    { method: "POST", route: "/v1/attempts/:id/answers", base: 40, ms: 32 },
    { method: "GET", route: "/v1/questions", base: 12, ms: 25 },
    { method: "POST", route: "/v1/auth/login", base: 3, ms: 140 },
  ];
  for (let m = 180; m >= 1; m--) {
    const timestamp = thisMinute - m * MINUTE;
    // A morning bump around 40 minutes ago, and a short incident (slow, some 5xx) 25 minutes ago.
    const load = 1 + 0.8 * Math.exp(-(((m - 40) / 12) ** 2)) + 0.15 * Math.sin(m / 5);
    const incident = m >= 23 && m <= 27;
    for (const { method, route, base, ms } of routes) {
      const statuses: Array<[string, number, number]> = [
        ["2xx", Math.round(base * load), ms * (incident ? 6 : 1)],
        ["4xx", Math.round(base * load * 0.04), ms / 2],
      ];
      if (incident && method === "POST") statuses.push(["5xx", Math.round(base * 0.12), ms * 30]);
      for (const [status, count, typical] of statuses) {
        if (count === 0) continue;
        const values = Array.from({ length: count }, (_, i) => typical * (0.6 + ((i * 37) % 100) / 80));
        const bins: Record<string, number> = {};
        for (const value of values) bins[sketchIndex(value)] = (bins[sketchIndex(value)] ?? 0) + 1;
        rows.push(
          insert("system_metrics", {
            name: "http.request",
            tags: JSON.stringify({ method, route, status }),
            tags_key: `method=${method},route=${route},status=${status}`,
            timestamp,
            count,
            sum: values.reduce((a, b) => a + b, 0),
            min: Math.min(...values),
            max: Math.max(...values),
            bins: JSON.stringify(bins),
          }),
        );
      }
    }
  }
  return rows;
}

const STACK = `Error: D1_ERROR: database is locked: SQLITE_BUSY
    at D1Database._sendOrThrow (cloudflare-internal:d1-api:67:24)
    at async submitAttempt (src/lib/exam/submit.ts:88:5)
    at async src/routes/attempts.ts:212:7`;

interface Seeded {
  sql: string;
  ids: ConsoleWorld["ids"];
}

/** The rows the runtime would have written over the last hours: errors, jobs, security events. */
function seedRows(now: number, hostile: boolean): Seeded {
  const ago = (minutes: number) => now - minutes * MINUTE;
  const statements: string[] = [...trafficRows(now)];
  const error = (minutes: number, row: Record<string, string | number | null>) => {
    const id = newId("error", ago(minutes));
    statements.push(
      insert("error_logs", {
        id,
        fingerprint: `seed-${id}`,
        source: "fetch",
        first_seen_at: ago(minutes + 90),
        last_seen_at: ago(minutes),
        created_at: ago(minutes + 90),
        ...row,
      }),
    );
    return id;
  };
  const criticalError = error(24, {
    severity: "CRITICAL",
    message: "D1_ERROR: database is locked: SQLITE_BUSY",
    error_type: "Error",
    error_code: "internal_error",
    stack: STACK,
    occurrences: 14,
    method: "POST",
    path: "/v1/attempts/att_01KA4Q7Z8G3Y0C4N5T2B7R9XQM/submit",
    request_id: "req_01KA4Q8B2M6N0ZP7W3C5D8E1FH",
    headers: JSON.stringify({
      "content-type": "application/json",
      "user-agent": "ProctorApp/3.2 (Android 15)",
      authorization: "[redacted]",
    }),
    body: JSON.stringify({ confirm: true }),
  });
  error(52, {
    severity: "ERROR",
    message: "Export att_results.csv failed: R2 put timed out after 30000 ms",
    error_type: "TimeoutError",
    stack: "TimeoutError: R2 put timed out after 30000 ms\n    at runExport (workers/exports.ts:141:11)",
    occurrences: 3,
    source: "queue",
  });
  error(8, {
    severity: "WARNING",
    message: "Webhook endpoint https://hooks.partner.example/proctor answered 502; retrying in 60 s",
    occurrences: 27,
    source: "queue",
  });
  error(300, {
    severity: "ERROR",
    message: "TypeError: Cannot read properties of undefined (reading 'sections')",
    error_type: "TypeError",
    stack: "TypeError: Cannot read properties of undefined (reading 'sections')\n    at scoreAttempt (src/lib/scoring/score.ts:54:19)",
    method: "GET",
    path: "/v1/attempts/att_01KA3ZZ1V0Q6W8X2Y4N7M5B3CD/result",
    occurrences: 2,
    resolved_at: ago(200),
    resolved_by: "usr_0SEED00000000000000000ADM",
    resolution_note: "Fixed by the scoring guard in 0.1.0.",
  });
  const hostileError = hostile
    ? error(3, {
        severity: "ERROR",
        message: HOSTILE_MESSAGE,
        stack: `Error: ${HOSTILE_MESSAGE}`,
        method: "POST",
        path: "/v1/questions",
        headers: JSON.stringify({ "x-evil": HOSTILE_MESSAGE }),
        body: HOSTILE_MESSAGE,
      })
    : null;

  const job = (minutes: number, row: Record<string, string | number | null>) => {
    const id = newId("job", ago(minutes));
    statements.push(
      insert("jobs", {
        id,
        status: "COMPLETED",
        attempts: 1,
        progress: 100,
        enqueued_at: ago(minutes),
        started_at: ago(minutes),
        finished_at: ago(minutes) + 400,
        created_at: ago(minutes),
        updated_at: ago(minutes),
        ...row,
      }),
    );
    return id;
  };
  for (let i = 0; i < 12; i++)
    job(2 + i * 4, { type: "attempt.score", queue: "scoring", payload: JSON.stringify({ attemptId: newId("attempt", ago(3 + i * 4)) }) });
  for (let i = 0; i < 5; i++)
    job(3 + i * 9, { type: "email.send", queue: "emails", payload: JSON.stringify({ messageId: newId("email", ago(4 + i * 9)) }) });
  // Fails for good on its last attempt; nothing stands in its way when it is retried.
  const failedJob = job(6, {
    type: "email.password_reset",
    queue: "emails",
    status: "FAILED",
    attempts: 3,
    max_attempts: 3,
    progress: 0,
    payload: JSON.stringify({ email: "former.student@proctor.example", ip: "198.51.100.40" }),
    error: "Resend answered 503 Service Unavailable (3 attempts)",
  });
  job(40, {
    type: "export.run",
    queue: "exports",
    status: "FAILED",
    attempts: 3,
    progress: 35,
    payload: JSON.stringify({ exportId: newId("export", ago(41)) }),
    error: "R2 put timed out after 30000 ms",
  });

  const securityEvent = (minutes: number, row: Record<string, string | number | null>) => {
    const id = newId("securityEvent", ago(minutes));
    statements.push(insert("security_events", { id, status: "OPEN", created_at: ago(minutes), updated_at: ago(minutes), ...row }));
    return id;
  };
  const openSecurityEvent = securityEvent(11, {
    type: "brute_force",
    severity: "HIGH",
    ip: "203.0.113.77",
    user_agent: "python-requests/2.32",
    country: "NL",
    details: JSON.stringify({ email: "student@proctor.example", failures: 48, windowSeconds: 300 }),
  });
  securityEvent(33, {
    type: "xss_attempt",
    severity: "MEDIUM",
    ip: "198.51.100.23",
    details: JSON.stringify({ field: "body", path: "/v1/questions" }),
  });
  securityEvent(95, { type: "new_device", severity: "LOW", ip: "192.0.2.14", country: "IN", city: "Pune" });
  securityEvent(400, {
    type: "rate_limit_block",
    severity: "MEDIUM",
    ip: "203.0.113.9",
    status: "RESOLVED",
    resolution_note: "Scraper; blocked.",
  });

  // Two hours ago: a burst of failed sign-ins and a night-time clean-up, sealed by the first cron tick.
  const audit = (minutes: number, row: Record<string, string | number | null>) =>
    statements.push(insert("audit_logs", { id: newId("audit", ago(minutes)), status: "SUCCESS", created_at: ago(minutes), ...row }));
  for (let i = 0; i < 6; i++) {
    audit(150 - i, {
      action: "auth.login_failed",
      status: "FAILURE",
      actor_type: "user",
      ip: "203.0.113.77",
      user_agent: "python-requests/2.32",
      country: "NL",
      metadata: JSON.stringify({ reason: "invalid_credentials" }),
    });
  }
  audit(130, {
    action: "queue.cleaned",
    actor_type: "system",
    target_type: "queue",
    target_id: "scoring",
    metadata: JSON.stringify({ status: "COMPLETED", deleted: 1240 }),
  });

  return { sql: statements.join("\n"), ids: { criticalError, hostileError, failedJob, openSecurityEvent } };
}

/**
 * Every migration in order, as one script: one `wrangler d1 execute` (about as long as one migration
 * through `wrangler d1 migrations apply`, which starts wrangler once per file) builds the schema and
 * writes the seed before the Worker opens the database.
 */
function migrationsSql(): string {
  const dir = "migrations";
  return readdirSync(dir)
    .filter((file) => file.endsWith(".sql"))
    .sort()
    .map((file) => readFileSync(join(dir, file), "utf8"))
    .join("\n");
}

/**
 * Starts the Worker on a free port with a fresh, seeded state and registers the accounts through the
 * API. `hostile` adds an error whose message is markup meant to run (the XSS check).
 */
export async function startConsoleWorld(options: { hostile?: boolean } = {}): Promise<ConsoleWorld> {
  const seeded = seedRows(Date.now(), options.hostile ?? false);
  const receiver = await startWebhookReceiver();
  const port = await freePort();
  const server = await startLocalServer(port, WORLD_VARS, {
    crons: false,
    migrate: false,
    beforeStart: (state) => seedLocalD1(state, `${migrationsSql()}\n${seeded.sql}`),
  }).catch(async (error: unknown) => {
    await receiver.close();
    throw error;
  });
  const stop = async () => {
    await server.stop();
    await receiver.close();
  };
  try {
    await populate(server.url, receiver.url);
    return { url: server.url, admin: ADMIN, student: STUDENT, ids: seeded.ids, hostileMessage: HOSTILE_MESSAGE, stop };
  } catch (error) {
    await stop();
    throw error;
  }
}

/** Settings of the world's Worker: who is an admin, and webhooks that may deliver to this machine. */
const WORLD_VARS = {
  ADMIN_EMAILS: ADMIN.email,
  LOG_LEVEL: "error",
  WEBHOOK_ALLOW_LOOPBACK: "true",
  // Room for a browser that opens every page at two widths within a minute, and for the sign-ins of
  // the world and the tests from one address; the limits themselves are tested in test/rate-limit.
  RATE_LIMIT_POLICIES: JSON.stringify({ api: { limit: 3000 }, auth: { limit: 60 } }),
  // A fixed key for this throw-away state only (webhooks are off without one).
  WEBHOOK_SECRET_KEY: Buffer.from("console-world-webhook-key-32-by!").toString("base64"),
};

/** What only the API may create: the accounts, an audited role change, webhook endpoints and their deliveries. */
async function populate(url: string, receiverUrl: string): Promise<void> {
  const api = apiClient(url);
  const ids = new Map<string, string>();
  for (const account of [ADMIN, INSTRUCTOR, STUDENT]) {
    const { user } = await api("/v1/auth/register", { method: "POST", body: JSON.stringify(account) });
    ids.set(account.email, user.id);
  }
  const { token } = await api("/v1/auth/login", { method: "POST", body: JSON.stringify({ email: ADMIN.email, password: ADMIN.password }) });
  const auth = { Authorization: `Bearer ${token}` };
  await api(`/v1/admin/users/${ids.get(INSTRUCTOR.email)}`, {
    method: "PATCH",
    headers: auth,
    body: JSON.stringify({ role: "instructor", reason: "Writes the physics mock tests." }),
  });
  // One endpoint that takes every event, one whose receiver is down (its deliveries fail and retry).
  for (const [path, description] of [
    ["/ok", "Analytics warehouse"],
    ["/down", "Partner CRM (down for maintenance)"],
  ]) {
    const webhook = await api("/v1/webhooks", {
      method: "POST",
      headers: auth,
      body: JSON.stringify({ url: `${receiverUrl}${path}`, description }),
    });
    await api(`/v1/webhooks/${webhook.id}/test`, { method: "POST", headers: auth });
  }
  // Reads the cache serves: the plan lists, twice each (a miss, then hits).
  for (const query of ["", "?includeInactive=true", "", "?includeInactive=true"]) await api(`/v1/plans${query}`, { headers: auth });
  // The student mistypes a password once (an audited failure).
  const mistyped = await fetch(`${url}/v1/auth/login`, {
    method: "POST",
    headers: { "Content-Type": "application/json" },
    body: JSON.stringify({ email: STUDENT.email, password: "not-the-password" }),
  });
  await mistyped.arrayBuffer();
  // One cron tick, as the edge would fire it: seals the closed hours of the audit trail, among its chores.
  const tick = await fetch(`${url}/cdn-cgi/local/scheduled?cron=${encodeURIComponent("* * * * *")}&time=${Date.now()}&format=json`);
  if (!tick.ok) throw new Error(`the cron tick answered ${tick.status}: ${await tick.text()}`);
}

/** A local webhook receiver: `/ok` takes every delivery, `/down` answers 503 like a partner mid-outage. */
function startWebhookReceiver(): Promise<{ url: string; close(): Promise<void> }> {
  const server = createHttpServer((req, res) => {
    req.resume();
    req.on("end", () => {
      res.statusCode = req.url?.startsWith("/down") ? 503 : 204;
      res.end();
    });
  });
  return new Promise((resolve, reject) => {
    server.once("error", reject);
    server.listen(0, "127.0.0.1", () => {
      const address = server.address();
      const port = typeof address === "object" && address ? address.port : 0;
      resolve({
        url: `http://127.0.0.1:${port}`,
        close: () =>
          new Promise<void>((done) => {
            server.closeAllConnections();
            server.close(() => done());
          }),
      });
    });
  });
}

/** Debian's Chromium through playwright-core, headless, with a fresh profile. */
export function launchBrowser(): Promise<Browser> {
  return chromium.launch({ executablePath: CHROMIUM, args: CHROMIUM_ARGS });
}

/** A fresh browser profile at `viewport`; `bypassCSP` only for injecting axe-core's script. */
export function newConsoleContext(
  browser: Browser,
  options: {
    viewport?: { width: number; height: number };
    bypassCSP?: boolean;
    storageState?: Awaited<ReturnType<BrowserContext["storageState"]>>;
  } = {},
): Promise<BrowserContext> {
  return browser.newContext({
    viewport: options.viewport ?? DESKTOP,
    bypassCSP: options.bypassCSP ?? false,
    storageState: options.storageState,
    colorScheme: "light",
    reducedMotion: "reduce",
  });
}

/** Signs in through the console's own form, as a person would, and waits for the page it leads to. */
export async function signIn(page: Page, url: string, account: Account): Promise<void> {
  await page.goto(`${url}/admin/sign-in`);
  await page.getByLabel("Email").fill(account.email);
  await page.getByLabel("Password").fill(account.password);
  await Promise.all([
    page.waitForURL((target) => !target.pathname.endsWith("/sign-in")),
    page.getByRole("button", { name: "Sign in" }).click(),
  ]);
}

/**
 * The console's sections that answer on this build (their links in the navigation, minus any still
 * answering "no such console page"), as `[name, path]`.
 */
export async function consoleSections(page: Page, url: string): Promise<Array<[string, string]>> {
  await page.goto(`${url}/admin`);
  const links = await page
    .locator('nav[aria-label="Sections"] a')
    .evaluateAll((anchors) =>
      anchors.map((a) => [a.textContent?.trim().toLowerCase() ?? "", a.getAttribute("href") ?? ""] as [string, string]),
    );
  const sections: Array<[string, string]> = [];
  for (const [name, path] of links) {
    const res = await page.request.get(`${url}${path}`, { maxRedirects: 0 });
    if (res.status() === 200) sections.push([name, path]);
  }
  return sections;
}

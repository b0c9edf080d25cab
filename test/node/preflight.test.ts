import { spawnSync } from "node:child_process";
import { fileURLToPath } from "node:url";
import { describe, expect, it } from "vitest";
import { QUEUE_NAMES } from "../../src/db/schema";
import { readCodeFacts } from "../../scripts/preflight/code-facts";
import type { MigrationFacts } from "../../scripts/preflight/finding";
import { preflight, runChecks } from "../../scripts/preflight/run";
import { parseWranglerToml, wranglerEnv } from "../../scripts/preflight/wrangler-env";

const root = fileURLToPath(new URL("../..", import.meta.url));
const code = readCodeFacts(root);
const docs =
  "DEVICE_TOKEN_SECRET EMAIL_LINK_SECRET EXPORT_LINK_SECRET RESEND_API_KEY SENTRY_DSN WEBHOOK_SECRET_KEY HEALTH_CHECK_TOKEN ALERT_WEBHOOK_URL RESEND_WEBHOOK_SECRET";
const GOOD_MIGRATIONS: MigrationFacts = {
  dir: "migrations",
  files: ["0000_init.sql", "0001_audit.sql", "0002_search.sql", "meta"],
  journalTags: ["0000_init", "0001_audit", "0002_search"],
};

const queueTables = (prefix: string, envPath: string) =>
  QUEUE_NAMES.map(
    (name) =>
      `[[${envPath}queues.producers]]\nbinding = "QUEUE_${name.toUpperCase()}"\nqueue = "${prefix}-${name}"\n\n` +
      `[[${envPath}queues.consumers]]\nqueue = "${prefix}-${name}"\nmax_retries = 5\ndead_letter_queue = "${prefix}-dlq"\n`,
  ).join("\n") + `\n[[${envPath}queues.consumers]]\nqueue = "${prefix}-dlq"\nmax_retries = 3\n`;

/** A production environment that passes every check; each test breaks one thing in it. */
const GOOD = `
name = "proctor"
main = "src/index.ts"

[observability]
enabled = true

[triggers]
crons = ${JSON.stringify(code.crons)}

[[migrations]]
tag = "v1"
new_sqlite_classes = ["RateLimiter"]

[[d1_databases]]
binding = "DB"
database_name = "proctor"
database_id = "00000000-0000-0000-0000-000000000000"

[[r2_buckets]]
binding = "FILES"
bucket_name = "proctor-files"

${queueTables("proctor", "")}

[env.production]
name = "proctor-production"
routes = [{ pattern = "api.proctor.app", custom_domain = true }]

[env.production.vars]
ENVIRONMENT = "production"
APP_VERSION = "1.0.0"
CORS_ORIGINS = "https://app.proctor.app"
APP_URL = "https://app.proctor.app"
PUBLIC_API_URL = "https://api.proctor.app"
EMAIL_FROM = "Proctor <no-reply@proctor.app>"
WEBHOOK_ALLOW_LOOPBACK = "false"
D1_READ_REPLICATION = "off"

[[env.production.d1_databases]]
binding = "DB"
database_name = "proctor-production"
database_id = "4e1c28a9-3b5d-4c1e-9f2a-7d8e6b5a4c3d"

[[env.production.r2_buckets]]
binding = "FILES"
bucket_name = "proctor-files-production"

[[env.production.durable_objects.bindings]]
name = "RATE_LIMITER"
class_name = "RateLimiter"

[[env.production.analytics_engine_datasets]]
binding = "METRICS_ENGINE"
dataset = "proctor_metrics"

${queueTables("proctor-production", "env.production.")}
`;

function check(toml: string, migrations: MigrationFacts = GOOD_MIGRATIONS, envName = "production") {
  const config = parseWranglerToml(toml);
  return runChecks({ envName, env: wranglerEnv(config, envName), topLevel: wranglerEnv(config), code, migrations, docs });
}

/** The findings of one check, by the check's name. */
function findings(toml: string, name: string, migrations?: MigrationFacts) {
  const result = check(toml, migrations);
  const named = result.findings.filter((f) => f.check === name);
  expect(named, `no finding named ${name}`).not.toHaveLength(0);
  return named;
}
const statusOf = (toml: string, name: string, migrations?: MigrationFacts) => findings(toml, name, migrations).map((f) => f.status);
const reasonOf = (toml: string, name: string) => findings(toml, name)[0]!.reason;

/** GOOD with one line (or block) replaced; fails loudly if the text is not there, so a fixture edit cannot go stale. */
function good(from: string, to: string): string {
  expect(GOOD).toContain(from);
  return GOOD.replace(from, to);
}

describe("preflight on a well-configured production environment", () => {
  it("passes every check, and still lists the secrets and resources to create by hand", () => {
    const result = check(GOOD);
    expect(result.findings.filter((f) => f.status !== "pass")).toEqual([]);
    expect(result.failed).toBe(0);
    for (const secret of ["DEVICE_TOKEN_SECRET", "EMAIL_LINK_SECRET", "EXPORT_LINK_SECRET"]) {
      expect(result.byHand).toContain(`openssl rand -base64 48 | npx wrangler secret put ${secret} --env production   # required`);
    }
    expect(result.byHand).toContain("npx wrangler queues create proctor-production-dlq");
    expect(result.byHand).toContain(
      "npx wrangler r2 bucket create proctor-files-production   # once; `npx wrangler r2 bucket list` shows it",
    );
    expect(result.byHand.at(-1)).toMatch(/^npm run deploy/);
  });
});

describe("preflight catches", () => {
  it("a D1 database id that is the all-zero placeholder, not a UUID, shared with development, or not declared", () => {
    expect(reasonOf(good("4e1c28a9-3b5d-4c1e-9f2a-7d8e6b5a4c3d", "00000000-0000-0000-0000-000000000000"), "D1 DB")).toMatch(/placeholder/);
    expect(statusOf(good("4e1c28a9-3b5d-4c1e-9f2a-7d8e6b5a4c3d", "TODO"), "D1 DB")).toEqual(["fail"]);
    const shared = good(`database_id = "00000000-0000-0000-0000-000000000000"`, `database_id = "4e1c28a9-3b5d-4c1e-9f2a-7d8e6b5a4c3d"`);
    expect(reasonOf(shared, "D1 DB")).toMatch(/shares database/);
    // Bindings are not inherited: the top level's DB does not serve production.
    const missing = good(`[[env.production.d1_databases]]\nbinding = "DB"`, `[[env.production.d1_databases]]\nbinding = "OTHER"`);
    expect(reasonOf(missing, "D1 DB")).toMatch(/not declared/);
  });

  it("an R2 bucket missing or shared with development", () => {
    expect(statusOf(good(`bucket_name = "proctor-files-production"`, ""), "R2 FILES")).toEqual(["fail"]);
    expect(reasonOf(good(`bucket_name = "proctor-files-production"`, `bucket_name = "proctor-files"`), "R2 FILES")).toMatch(/top-level/);
  });

  it("a rate limiter class that no migration creates, or creates without SQLite", () => {
    expect(reasonOf(good(`new_sqlite_classes = ["RateLimiter"]`, `new_classes = ["RateLimiter"]`), "Durable Object RATE_LIMITER")).toMatch(
      /new_sqlite_classes/,
    );
    expect(reasonOf(good(`new_sqlite_classes = ["RateLimiter"]`, `new_sqlite_classes = []`), "Durable Object RATE_LIMITER")).toMatch(
      /no \[\[migrations\]\]/,
    );
    expect(statusOf(good(`name = "RATE_LIMITER"`, `name = "LIMITER"`), "Durable Object RATE_LIMITER")).toEqual(["fail"]);
  });

  it("no Analytics Engine dataset (a warning: the binding is optional)", () => {
    expect(statusOf(good(`binding = "METRICS_ENGINE"`, `binding = "OTHER_ENGINE"`), "Analytics Engine METRICS_ENGINE")).toEqual(["warn"]);
  });

  it("a queue binding without a producer, a queue nobody consumes, and a consumer the code does not dispatch", () => {
    const noProducer = good(
      `binding = "QUEUE_AI"\nqueue = "proctor-production-ai"`,
      `binding = "QUEUE_AI_OLD"\nqueue = "proctor-production-ai"`,
    );
    expect(reasonOf(noProducer, "Queue producers")).toMatch(/QUEUE_AI has no producer/);
    const wrongQueue = good(
      `binding = "QUEUE_AI"\nqueue = "proctor-production-ai"`,
      `binding = "QUEUE_AI"\nqueue = "proctor-production-exports"`,
    );
    expect(reasonOf(wrongQueue, "Queue producers")).toMatch(/QUEUE_AI sends to proctor-production-exports/);
    const unconsumed = good(
      `[[env.production.queues.consumers]]\nqueue = "proctor-production-ai"`,
      `[[env.production.queues.consumers]]\nqueue = "proctor-production-ai-v2"`,
    );
    expect(reasonOf(unconsumed, "Queue consumers")).toMatch(/nothing consumes proctor-production-ai\b/);
  });

  it("a job queue without a dead-letter queue, and a dead-letter queue nobody consumes", () => {
    const noDlq = good(
      `queue = "proctor-production-scoring"\nmax_retries = 5\ndead_letter_queue = "proctor-production-dlq"`,
      `queue = "proctor-production-scoring"\nmax_retries = 5`,
    );
    expect(reasonOf(noDlq, "Dead-letter queue")).toMatch(/no dead_letter_queue on proctor-production-scoring/);
    const unconsumed = good(`[[env.production.queues.consumers]]\nqueue = "proctor-production-dlq"\nmax_retries = 3\n`, "");
    expect(reasonOf(unconsumed, "Dead-letter queue")).toMatch(/nothing consumes proctor-production-dlq/);
  });

  it("a consumer allowing fewer deliveries than a job gets, and settings that differ from the top level", () => {
    const low = good(`queue = "proctor-production-emails"\nmax_retries = 5`, `queue = "proctor-production-emails"\nmax_retries = 1`);
    expect(reasonOf(low, "Queue retries")).toMatch(/proctor-production-emails \(1\)/);
    expect(statusOf(low, "Queue consumer settings")).toEqual(["warn"]);
    expect(reasonOf(low, "Queue consumer settings")).toMatch(/emails\.max_retries 1 \(top level 5\)/);
  });

  it("production using the development queues", () => {
    const shared = good(
      `binding = "QUEUE_DEFAULT"\nqueue = "proctor-production-default"`,
      `binding = "QUEUE_DEFAULT"\nqueue = "proctor-default"`,
    );
    expect(reasonOf(shared, "Queues of its own")).toMatch(/shares proctor-default/);
  });

  it("a cron the code dispatches that is not triggered, and a trigger no task handles", () => {
    const [first, ...others] = code.crons;
    const crons = `crons = ${JSON.stringify(code.crons)}`;
    expect(reasonOf(good(crons, `crons = ${JSON.stringify([first])}`), "Cron triggers")).toBe(
      `missing ${others.map((cron) => `"${cron}"`).join(", ")}: their tasks would never run`,
    );
    expect(statusOf(good(crons, `crons = ${JSON.stringify([...code.crons, "0 0 1 * *"])}`), "Cron triggers")).toEqual(["warn"]);
  });

  it("a secret set as a plain var, and secrets.required leaving out one the code requires", () => {
    const leaked = good(
      `D1_READ_REPLICATION = "off"`,
      `D1_READ_REPLICATION = "off"\nEXPORT_LINK_SECRET = "changeme-changeme-changeme-changeme"`,
    );
    expect(reasonOf(leaked, "Secrets not in vars")).toMatch(/EXPORT_LINK_SECRET set in \[vars\]/);
    expect(statusOf(leaked, "No placeholder values")).toEqual(["fail"]);
    const declared = good(`[env.production.vars]`, `[env.production.secrets]\nrequired = ["DEVICE_TOKEN_SECRET"]\n\n[env.production.vars]`);
    expect(reasonOf(declared, "secrets.required")).toBe("leaves out EMAIL_LINK_SECRET, EXPORT_LINK_SECRET");
  });

  it("a required secret nobody documented", () => {
    const config = parseWranglerToml(GOOD);
    const result = runChecks({
      envName: "production",
      env: wranglerEnv(config, "production"),
      topLevel: wranglerEnv(config),
      code,
      migrations: GOOD_MIGRATIONS,
      docs: docs.replace("EMAIL_LINK_SECRET", ""),
    });
    expect(result.findings.find((f) => f.check === "Secrets documented")).toMatchObject({
      status: "fail",
      reason: expect.stringMatching(/EMAIL_LINK_SECRET/),
    });
  });

  it("ENVIRONMENT other than production, which also serves the dev mailbox", () => {
    const development = good(`ENVIRONMENT = "production"`, `ENVIRONMENT = "development"`);
    expect(reasonOf(development, "ENVIRONMENT")).toBe(`is "development", must be "production"`);
    expect(statusOf(development, "Dev mailbox off")).toEqual(["fail"]);
  });

  it("loopback webhooks, which the Worker itself would also refuse to start with", () => {
    const loopback = good(`WEBHOOK_ALLOW_LOOPBACK = "false"`, `WEBHOOK_ALLOW_LOOPBACK = "true"`);
    expect(statusOf(loopback, "Loopback webhooks off")).toEqual(["fail"]);
    expect(reasonOf(loopback, "Settings valid")).toMatch(/refuses WEBHOOK_ALLOW_LOOPBACK/);
  });

  it("test-only receivers, local or placeholder addresses", () => {
    expect(
      reasonOf(good(`APP_VERSION = "1.0.0"`, `APP_VERSION = "1.0.0"\nAI_TEST_URL = "http://127.0.0.1:9999"`), "No test-only settings"),
    ).toMatch(/AI_TEST_URL/);
    expect(reasonOf(good(`APP_URL = "https://app.proctor.app"`, `APP_URL = "http://localhost:5173"`), "Public URLs")).toMatch(
      /APP_URL \(http\)/,
    );
    expect(
      reasonOf(good(`PUBLIC_API_URL = "https://api.proctor.app"`, `PUBLIC_API_URL = "https://127.0.0.1:8787"`), "Public URLs"),
    ).toMatch(/PUBLIC_API_URL \(127\.0\.0\.1\)/);
    expect(reasonOf(good(`no-reply@proctor.app`, `no-reply@proctor.example`), "Public URLs")).toMatch(/EMAIL_FROM \(proctor\.example\)/);
  });

  it("read replication set to anything but on or off; on asks for the replicas to be enabled", () => {
    expect(statusOf(good(`D1_READ_REPLICATION = "off"`, `D1_READ_REPLICATION = "auto"`), "D1 read replication")).toEqual(["fail"]);
    const on = findings(good(`D1_READ_REPLICATION = "off"`, `D1_READ_REPLICATION = "on"`), "D1 read replication")[0]!;
    expect(on.status).toBe("pass");
    expect(on.byHand?.[0]).toMatch(/Enable read replicas/);
  });

  it("a setting the Worker's own validation refuses", () => {
    expect(reasonOf(good(`APP_VERSION = "1.0.0"`, `APP_VERSION = "1.0.0"\nRATE_LIMIT_POLICIES = "{not json"`), "Settings valid")).toMatch(
      /refuses RATE_LIMIT_POLICIES/,
    );
  });

  it("no route while workers.dev is off (a warning: a custom domain may be attached in the dashboard)", () => {
    expect(statusOf(good(`routes = [{ pattern = "api.proctor.app", custom_domain = true }]`, ""), "Route or custom domain")).toEqual([
      "warn",
    ]);
  });

  it("migrations with a gap, a repeated number, a bad name, a journal that disagrees, or no directory", () => {
    const files = (...names: string[]) => ({ ...GOOD_MIGRATIONS, files: names, journalTags: null });
    expect(reasonOf2(files("0000_a.sql", "0002_c.sql"))).toBe("gap: no 0001");
    expect(reasonOf2(files("0000_a.sql", "0001_b.sql", "0001_c.sql"))).toBe("numbers used twice: 0001_c.sql");
    expect(reasonOf2(files("0000_a.sql", "1_b.sql"))).toBe("not named NNNN_name.sql: 1_b.sql");
    const journal = { ...GOOD_MIGRATIONS, journalTags: ["0000_init", "0001_audit"] };
    expect(findings(GOOD, "Drizzle journal", journal)[0]).toMatchObject({
      status: "fail",
      reason: "meta/_journal.json lists 2 migrations, the directory 3; first difference: 0002_search vs no journal entry",
    });
    expect(statusOf(GOOD, "Migrations", { dir: "migrations", files: null, journalTags: null })).toEqual(["fail"]);
  });
});

function reasonOf2(migrations: MigrationFacts): string {
  return findings(GOOD, "Migrations", migrations)[0]!.reason;
}

describe("preflight of the real wrangler.toml, --env production", () => {
  // The committed file is a template: its D1 id is the all-zero placeholder and its public names are
  // on the reserved .example domain, so a deploy from it must be refused until both are filled in.
  // Everything the code decides (bindings, queues, crons, secrets, migrations) already agrees.
  it("fails exactly on the placeholder database id and the placeholder domains", () => {
    const result = preflight(root, "production");
    const by = (status: string) => result.findings.filter((f) => f.status === status).map((f) => f.check);
    expect(by("fail")).toEqual(["D1 DB", "Public URLs"]);
    // Production's consumers leave max_batch_timeout to Cloudflare's 5 s where the top level sets 1–2 s.
    expect(by("warn")).toEqual(["Queue consumer settings", "Route or custom domain"]);
    expect(result.byHand[0]).toBe("npx wrangler d1 create proctor-production   # then put its id into database_id");
    expect(result.byHand).toContain("openssl rand -base64 48 | npx wrangler secret put DEVICE_TOKEN_SECRET --env production   # required");
  });

  it("exits 1 from the command line and prints the table and the steps by hand", () => {
    const run = spawnSync("npx", ["tsx", "scripts/preflight.ts", "--env", "production"], { cwd: root, encoding: "utf8" });
    expect(run.status).toBe(1);
    expect(run.stdout).toMatch(/FAIL {2}D1 DB +database_id is the all-zero placeholder/);
    expect(run.stdout).toMatch(/What remains to do by hand:/);
  });
});

import { settingsRefused } from "../code-facts";
import { fail, pass, warn, type Check, type Finding, type PreflightInput } from "../finding";

const DEPLOYED = new Set(["staging", "production"]);

/** Settings only the test harness sets (vitest.config.ts): a deployment carrying one points at a test receiver. */
const TEST_ONLY = /^(CAPTURE_URL|TEST_[A-Z0-9_]+|[A-Z0-9_]+_TEST_[A-Z0-9_]+)$/;

/** Values nobody would deploy on purpose. */
const PLACEHOLDER_VALUE = /change[-_ ]?me|replace[-_ ]?me|\bTODO\b|\bFIXME\b|^x{3,}$|<[a-z _-]+>|placeholder/i;

/** Hosts that are never a deployment's public address: loopback, local names, and the documentation domains. */
const NOT_PUBLIC_HOST =
  /^(localhost|127\.\d+\.\d+\.\d+|0\.0\.0\.0|\[::1?\]|[^.]+)$|\.(localhost|local|test|example|invalid|internal)$|^(.+\.)?example\.(com|org|net)$/i;

const URL_SETTINGS = ["APP_URL", "PUBLIC_API_URL", "RESEND_BASE_URL", "AI_BASE_URL"];

/** Why `value` is not a public https address, in a few words, or null when it is one. */
function urlProblem(name: string, value: string): string | null {
  let url: URL;
  try {
    url = new URL(value);
  } catch {
    return `${name} (not a URL)`;
  }
  if (url.protocol !== "https:") return `${name} (${url.protocol.replace(":", "")})`;
  if (NOT_PUBLIC_HOST.test(url.hostname)) return `${name} (${url.hostname})`;
  return null;
}

function environment({ env, envName }: PreflightInput): Finding[] {
  const value = env.vars.ENVIRONMENT;
  if (!DEPLOYED.has(envName)) return [pass("ENVIRONMENT", `"${value ?? ""}" (not checked outside staging and production)`)];
  const environmentFinding =
    value === envName ? pass("ENVIRONMENT", `"${value}"`) : fail("ENVIRONMENT", `is "${value ?? "(unset)"}", must be "${envName}"`);
  // The local mailbox page and its admin twin serve only development and test (src/routes/dev-mailbox.ts).
  const mailbox = DEPLOYED.has(value ?? "")
    ? pass("Dev mailbox off", "/dev/mailbox answers 404 outside development and test")
    : fail("Dev mailbox off", `ENVIRONMENT "${value ?? ""}" serves every user's mail at /dev/mailbox`);
  return [environmentFinding, mailbox];
}

/** The Worker's own start-up validation (src/config.ts) run on these vars: what it would refuse besides missing secrets. */
function valid({ env, code }: PreflightInput): Finding {
  const refused = settingsRefused(env.vars).filter((name) => name in env.vars || !code.secrets.includes(name));
  return refused.length
    ? fail("Settings valid", `src/config.ts refuses ${refused.join(", ")}: every request would answer 500 misconfigured`)
    : pass("Settings valid", `src/config.ts accepts all ${Object.keys(env.vars).length} vars`);
}

function deployedOnly(input: PreflightInput): Finding[] {
  const { env } = input;
  if (!DEPLOYED.has(input.envName)) return [];
  const findings: Finding[] = [];
  findings.push(
    env.vars.WEBHOOK_ALLOW_LOOPBACK === "true"
      ? fail("Loopback webhooks off", "WEBHOOK_ALLOW_LOOPBACK is true: webhooks may target http and internal addresses")
      : pass("Loopback webhooks off", `WEBHOOK_ALLOW_LOOPBACK "${env.vars.WEBHOOK_ALLOW_LOOPBACK ?? "false"}"`),
  );
  const testOnly = Object.keys(env.vars).filter((name) => TEST_ONLY.test(name));
  findings.push(
    testOnly.length
      ? fail("No test-only settings", `${testOnly.join(", ")} belong to the test harness`)
      : pass("No test-only settings", "no CAPTURE_URL, *_TEST_* or TEST_* var"),
  );
  const urls = URL_SETTINGS.filter((name) => env.vars[name]).map((name) => urlProblem(name, env.vars[name]!));
  const origins = (env.vars.CORS_ORIGINS ?? "")
    .split(",")
    .map((origin) => origin.trim())
    .filter(Boolean);
  const originProblems = origins.map((origin) => urlProblem("CORS_ORIGINS", origin));
  const fromDomain = env.vars.EMAIL_FROM?.match(/@([^>\s]+)>?\s*$/)?.[1];
  const fromProblem = fromDomain && NOT_PUBLIC_HOST.test(fromDomain) ? `EMAIL_FROM (${fromDomain})` : null;
  const problems = [...urls, ...originProblems, fromProblem].filter((p): p is string => p !== null);
  findings.push(
    problems.length
      ? fail("Public URLs", `not public https names (local, placeholder or http): ${problems.join(", ")}`, [
          `Set APP_URL, PUBLIC_API_URL, CORS_ORIGINS and EMAIL_FROM in [env.${input.envName}.vars] to the real public names`,
        ])
      : pass("Public URLs", "APP_URL, PUBLIC_API_URL, CORS origins and EMAIL_FROM are public https names", [
          `Verify the sending domain ${fromDomain ?? "of EMAIL_FROM"} at Resend (SPF/DKIM DNS records) and point its webhook at ${env.vars.PUBLIC_API_URL ?? "PUBLIC_API_URL"}/v1/email/events`,
        ]),
  );
  if (env.vars.LOG_LEVEL === "debug" || env.vars.REQUEST_LOG === "all") {
    findings.push(
      warn(
        "Logging",
        `LOG_LEVEL "${env.vars.LOG_LEVEL}", REQUEST_LOG "${env.vars.REQUEST_LOG}": a line per request costs CPU on every request`,
      ),
    );
  }
  return findings;
}

function placeholders({ env }: PreflightInput): Finding {
  const found = Object.entries(env.vars)
    .filter(([, value]) => PLACEHOLDER_VALUE.test(value))
    .map(([name]) => name);
  return found.length
    ? fail("No placeholder values", `${found.join(", ")} look like placeholders`)
    : pass("No placeholder values", "no changeme/TODO/<…> values");
}

function readReplication({ env }: PreflightInput): Finding {
  const value = env.vars.D1_READ_REPLICATION ?? "off";
  if (value === "on") {
    return pass("D1 read replication", "on: requests use D1 sessions and X-D1-Bookmark", [
      'Enable read replicas on the D1 database (dashboard → D1 → Settings, or the REST API\'s read_replication.mode = "auto"); with replicas off, `on` buys nothing',
    ]);
  }
  return value === "off"
    ? pass("D1 read replication", "off: every query reaches the primary")
    : fail("D1 read replication", `"${value}" is neither on nor off`);
}

function publicEntry({ env, envName }: PreflightInput): Finding[] {
  if (envName === "") return [];
  const host = env.vars.PUBLIC_API_URL ? new URL(env.vars.PUBLIC_API_URL).hostname : "api.<your domain>";
  const findings: Finding[] = [];
  if (env.routes.length === 0 && env.workersDev !== true) {
    findings.push(
      warn(
        "Route or custom domain",
        "none declared and workers_dev is off: only a custom domain attached in the dashboard reaches the API",
        [
          `Add routes = [{ pattern = "${host}", custom_domain = true }] to [env.${envName}] (the deploy creates the DNS record when the zone is on Cloudflare), or attach the custom domain in the dashboard`,
        ],
      ),
    );
  } else if (env.routes.length > 0) {
    findings.push(pass("Route or custom domain", `${env.routes.length} declared`));
  }
  if (env.workersDev === true && DEPLOYED.has(envName)) {
    findings.push(warn("workers.dev off", "workers_dev = true: a *.workers.dev address bypasses the zone's WAF and rules"));
  }
  return findings;
}

function observability({ env }: PreflightInput): Finding {
  return env.observabilityEnabled
    ? pass("Workers Logs", "[observability] enabled")
    : warn("Workers Logs", "[observability] is off: logs only through `wrangler tail`");
}

/** Settings that must hold in a deployed environment, and the start-up validation of all of them. */
export const checkSettings: Check = (input) => [
  ...environment(input),
  valid(input),
  ...deployedOnly(input),
  placeholders(input),
  readReplication(input),
  ...publicEntry(input),
  observability(input),
];

import { settingsRefused } from "../code-facts";
import { envFlag, fail, pass, type Check, type Finding, type PreflightInput } from "../finding";

/** Listed under Env's secrets but a number, not a credential: README documents it as "secret/var". */
const ALSO_A_VAR = new Set(["SENTRY_TRACES_SAMPLE_RATE"]);

/** How to make a good value, for the secrets that are random keys. */
const GENERATORS: Record<string, string> = {
  DEVICE_TOKEN_SECRET: "openssl rand -base64 48",
  EMAIL_LINK_SECRET: "openssl rand -base64 48",
  EXPORT_LINK_SECRET: "openssl rand -base64 48",
  WEBHOOK_SECRET_KEY: "openssl rand -base64 32",
  HEALTH_CHECK_TOKEN: "openssl rand -hex 32",
};

/** Secrets a deployed environment runs without, at a cost worth deciding on. */
const RECOMMENDED: Record<string, string> = {
  RESEND_API_KEY: "unset, no mail leaves: every message stays in the email_messages outbox",
  SENTRY_DSN: "unset, errors are only in error_logs (GET /v1/admin/errors)",
  WEBHOOK_SECRET_KEY: "unset, webhooks answer 503",
  HEALTH_CHECK_TOKEN: "lets a monitor call GET /health/ready",
  ALERT_WEBHOOK_URL: "unset, critical errors raise no chat alert",
  RESEND_WEBHOOK_SECRET: "unset, bounces and complaints from Resend are refused",
};

const DEPLOYED = new Set(["staging", "production"]);

function putSecret(envName: string, name: string, why?: string): string {
  const generator = GENERATORS[name];
  const command = generator
    ? `${generator} | npx wrangler secret put ${name}${envFlag(envName)}`
    : `npx wrangler secret put ${name}${envFlag(envName)}`;
  return why ? `${command}   # ${why}` : command;
}

/** A secret in [vars] is committed in plain text, and wrangler refuses a secret beside a var of the same name. */
function secretsInVars({ env, code }: PreflightInput): Finding {
  const leaked = code.secrets.filter((name) => name in env.vars && !ALSO_A_VAR.has(name));
  return leaked.length
    ? fail("Secrets not in vars", `${leaked.join(", ")} set in [vars]: remove them and use \`wrangler secret put\``)
    : pass("Secrets not in vars", `none of the ${code.secrets.length} secrets of src/env.ts is a plain var`);
}

/** What src/config.ts refuses to start without, given these vars: the secrets this environment must have. */
function requiredSecrets(input: PreflightInput): Finding[] {
  const { env, code, docs, envName } = input;
  const required = settingsRefused(env.vars).filter((name) => code.secrets.includes(name) && !(name in env.vars));
  const byHand = [...required.map((name) => putSecret(envName, name, "required"))];
  if (DEPLOYED.has(env.vars.ENVIRONMENT ?? "")) {
    for (const [name, why] of Object.entries(RECOMMENDED)) if (!required.includes(name)) byHand.push(putSecret(envName, name, why));
    if (env.vars.AI_BASE_URL && env.vars.AI_MODEL && !required.includes("AI_API_KEY")) {
      byHand.push(putSecret(envName, "AI_API_KEY", "AI_BASE_URL and AI_MODEL are set: AI stays off without it"));
    }
    byHand.push(`npx wrangler secret list${envFlag(envName)}   # confirms which are set`);
  }
  const findings: Finding[] = [
    pass(
      "Required secrets",
      required.length ? `src/config.ts refuses to start without ${required.join(", ")} (set by hand)` : "none required by src/config.ts",
      byHand,
    ),
  ];
  const undocumented = [...new Set([...required, ...Object.keys(RECOMMENDED)])].filter((name) => !docs.includes(name));
  if (undocumented.length)
    findings.push(fail("Secrets documented", `not named in README.md or .dev.vars.example: ${undocumented.join(", ")}`));
  else findings.push(pass("Secrets documented", "every required and recommended secret is named in README.md or .dev.vars.example"));
  if (env.requiredSecrets) {
    const unlisted = required.filter((name) => !env.requiredSecrets!.includes(name));
    findings.push(
      unlisted.length
        ? fail("secrets.required", `leaves out ${unlisted.join(", ")}`)
        : pass("secrets.required", "lists every secret src/config.ts requires"),
    );
  }
  return findings;
}

export const checkSecrets: Check = (input) => [secretsInVars(input), ...requiredSecrets(input)];

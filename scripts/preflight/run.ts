import { existsSync, readdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { checkBindings } from "./checks/bindings";
import { checkCrons } from "./checks/crons";
import { checkMigrations } from "./checks/migrations";
import { checkQueues } from "./checks/queues";
import { checkSecrets } from "./checks/secrets";
import { checkSettings } from "./checks/settings";
import { readCodeFacts } from "./code-facts";
import type { Check, Finding, MigrationFacts, PreflightInput } from "./finding";
import { parseWranglerToml, wranglerEnv } from "./wrangler-env";

/** In the order an operator works through them; the deploy (migrations) comes last. */
const CHECKS: Check[] = [checkBindings, checkQueues, checkCrons, checkSecrets, checkSettings, checkMigrations];

export interface PreflightResult {
  findings: Finding[];
  /** Every finding's by-hand steps, in check order, without repeats. */
  byHand: string[];
  failed: number;
}

export function runChecks(input: PreflightInput): PreflightResult {
  const findings = CHECKS.flatMap((check) => check(input));
  return {
    findings,
    byHand: [...new Set(findings.flatMap((finding) => finding.byHand ?? []))],
    failed: findings.filter((finding) => finding.status === "fail").length,
  };
}

function readMigrations(dir: string): MigrationFacts {
  if (!existsSync(dir)) return { dir, files: null, journalTags: null };
  const journalFile = join(dir, "meta", "_journal.json");
  const journal = existsSync(journalFile) ? (JSON.parse(readFileSync(journalFile, "utf8")) as { entries: { tag: string }[] }) : null;
  return { dir, files: readdirSync(dir), journalTags: journal ? journal.entries.map((entry) => entry.tag) : null };
}

/** Reads wrangler.toml (or `configPath`), the code and the migrations of the project at `root`, and checks environment `envName`. */
export function preflight(root: string, envName: string, configPath = join(root, "wrangler.toml")): PreflightResult {
  const config = parseWranglerToml(readFileSync(configPath, "utf8"));
  const env = wranglerEnv(config, envName);
  const migrationsDir = env.d1Databases.find((d) => d.binding === "DB")?.migrations_dir ?? "migrations";
  const docs = ["README.md", ".dev.vars.example"]
    .map((file) => join(root, file))
    .filter(existsSync)
    .map((file) => readFileSync(file, "utf8"))
    .join("\n");
  return runChecks({
    envName,
    env,
    topLevel: wranglerEnv(config),
    code: readCodeFacts(root),
    migrations: readMigrations(join(root, migrationsDir)),
    docs,
  });
}

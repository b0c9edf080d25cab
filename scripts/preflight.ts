/**
 * `npm run preflight -- --env production`: the production checklist as a command. Checks offline what
 * wrangler.toml, the code and the migrations can tell about a deployment (bindings with real ids,
 * secrets, queues and their dead-letter queue, crons, migrations, settings that must be off), prints a
 * table and what remains to do by hand, and exits 1 when a check failed. `--config <file>` checks
 * another wrangler.toml; `--env ""` the top level. docs/operations.md explains each check.
 */
import { dirname, join, resolve } from "node:path";
import { fileURLToPath, pathToFileURL } from "node:url";
import { parseArgs } from "node:util";
import { preflight, type PreflightResult } from "./preflight/run";

const MARK = { pass: "pass", warn: "WARN", fail: "FAIL" } as const;

export function printPreflight(envName: string, result: PreflightResult): void {
  console.log(`\nPreflight of ${envName ? `[env.${envName}]` : "the top level"} (wrangler.toml, src/, migrations/)\n`);
  const width = Math.max(...result.findings.map((f) => f.check.length));
  for (const f of result.findings) console.log(`  ${MARK[f.status]}  ${f.check.padEnd(width)}  ${f.reason}`);
  const warned = result.findings.filter((f) => f.status === "warn").length;
  console.log(`\n  ${result.findings.length} checks: ${result.failed} failed, ${warned} warnings.`);
  if (result.byHand.length) {
    console.log("\nWhat remains to do by hand:");
    for (const [i, step] of result.byHand.entries()) console.log(`  ${String(i + 1).padStart(2)}. ${step}`);
  }
}

function main() {
  const { values } = parseArgs({ options: { env: { type: "string", default: "production" }, config: { type: "string" } } });
  const root = join(dirname(fileURLToPath(import.meta.url)), "..");
  const envName = values.env ?? "production";
  const result = preflight(root, envName, values.config ? resolve(values.config) : undefined);
  printPreflight(envName, result);
  process.exitCode = result.failed > 0 ? 1 : 0;
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? "").href) main();

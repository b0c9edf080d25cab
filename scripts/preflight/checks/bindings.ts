import type { CodeBinding } from "../code-facts";
import { fail, pass, warn, type Check, type Finding, type PreflightInput } from "../finding";

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;
const ALL_ZERO = /^[0-]+$/;

function d1Finding({ env, topLevel }: PreflightInput, binding: CodeBinding): Finding {
  const check = `D1 ${binding.name}`;
  const db = env.d1Databases.find((d) => d.binding === binding.name);
  if (!db) return fail(check, "not declared for this environment (bindings are not inherited from the top level)");
  const create = [`npx wrangler d1 create ${db.database_name ?? "<name>"}   # then put its id into database_id`];
  const id = db.database_id ?? "";
  if (!UUID.test(id)) return fail(check, `database_id "${id}" is not a D1 id (a UUID)`, create);
  if (ALL_ZERO.test(id)) return fail(check, "database_id is the all-zero placeholder", create);
  if (env.envName !== "" && topLevel.d1Databases.some((d) => d.database_id === id)) {
    return fail(check, `shares database ${id} with the top-level (development) configuration`);
  }
  return pass(check, `${db.database_name ?? "?"} (${id})`);
}

function r2Finding({ env, topLevel }: PreflightInput, binding: CodeBinding): Finding {
  const check = `R2 ${binding.name}`;
  const bucket = env.r2Buckets.find((b) => b.binding === binding.name)?.bucket_name;
  if (!bucket) return fail(check, "not declared with a bucket_name for this environment");
  const create = [`npx wrangler r2 bucket create ${bucket}   # once; \`npx wrangler r2 bucket list\` shows it`];
  if (env.envName !== "" && topLevel.r2Buckets.some((b) => b.bucket_name === bucket)) {
    return fail(check, `bucket ${bucket} is the top-level (development) one`, create);
  }
  return pass(check, `bucket ${bucket}`, create);
}

function durableObjectFinding({ env }: PreflightInput, binding: CodeBinding): Finding {
  const check = `Durable Object ${binding.name}`;
  const declared = env.durableObjects.find((d) => d.name === binding.name);
  if (!declared) return fail(check, "not declared for this environment");
  const sqlite = env.durableObjectMigrations.some((m) => m.new_sqlite_classes?.includes(declared.class_name));
  if (sqlite) return pass(check, `class ${declared.class_name}, SQLite-backed by a [[migrations]] entry`);
  if (env.durableObjectMigrations.some((m) => m.new_classes?.includes(declared.class_name))) {
    return fail(check, `class ${declared.class_name} is created key-value backed (new_classes); the limiter needs new_sqlite_classes`);
  }
  return fail(check, `no [[migrations]] entry creates class ${declared.class_name}`);
}

function analyticsFinding({ env }: PreflightInput, binding: CodeBinding): Finding {
  const check = `Analytics Engine ${binding.name}`;
  const dataset = env.analyticsEngineDatasets.find((d) => d.binding === binding.name);
  if (dataset) return pass(check, `dataset ${dataset.dataset ?? binding.name} (created on its first write)`);
  const reason = "not declared: metrics stay in D1 only";
  return binding.optional ? warn(check, reason) : fail(check, reason);
}

function kvFinding({ env }: PreflightInput, binding: CodeBinding): Finding {
  const check = `KV ${binding.name}`;
  const namespace = env.kvNamespaces.find((k) => k.binding === binding.name);
  if (!namespace) return binding.optional ? warn(check, "not declared") : fail(check, "not declared for this environment");
  if (!namespace.id || ALL_ZERO.test(namespace.id)) {
    return fail(check, "no real namespace id", [
      `npx wrangler kv namespace create ${binding.name}${env.envName ? ` --env ${env.envName}` : ""}`,
    ]);
  }
  return pass(check, `namespace ${namespace.id}`);
}

/** Bindings the config declares that no Env member names: harmless, but usually a rename half done. */
function unknownBindings({ env, code }: PreflightInput): Finding[] {
  const known = new Set(code.bindings.map((b) => b.name));
  const declared = [
    ...env.d1Databases.map((d) => d.binding),
    ...env.r2Buckets.map((b) => b.binding),
    ...env.kvNamespaces.map((k) => k.binding),
    ...env.durableObjects.map((d) => d.name),
    ...env.analyticsEngineDatasets.map((d) => d.binding),
    ...env.queueProducers.map((p) => p.binding),
  ];
  const unknown = declared.filter((name) => !known.has(name));
  return unknown.length === 0 ? [] : [warn("Unused bindings", `declared but not in src/env.ts: ${unknown.join(", ")}`)];
}

/** Every binding src/env.ts declares (queues aside: see queues.ts) is declared with real ids for this environment. */
export const checkBindings: Check = (input) => {
  const findings: Finding[] = [];
  for (const binding of input.code.bindings) {
    if (binding.kind === "d1") findings.push(d1Finding(input, binding));
    else if (binding.kind === "r2") findings.push(r2Finding(input, binding));
    else if (binding.kind === "durable_object") findings.push(durableObjectFinding(input, binding));
    else if (binding.kind === "analytics_engine") findings.push(analyticsFinding(input, binding));
    else if (binding.kind === "kv") findings.push(kvFinding(input, binding));
  }
  return [...findings, ...unknownBindings(input)];
};

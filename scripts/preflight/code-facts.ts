import { readdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { loadConfig } from "../../src/config";
import type { Env } from "../../src/env";
import { QUEUE_NAMES } from "../../src/db/schema";

type BindingKind = "d1" | "r2" | "kv" | "durable_object" | "queue" | "analytics_engine";

export interface CodeBinding {
  name: string;
  kind: BindingKind;
  /** Declared `NAME?:` in Env: the Worker runs without it. */
  optional: boolean;
}

/** What the code expects of its deployment, read from the sources so the checks follow the code. */
export interface CodeFacts {
  bindings: CodeBinding[];
  /** Settings Env lists under its "Secrets" comment. */
  secrets: string[];
  /** Cron expressions the scheduled handler dispatches (`…_CRON = "…"`). */
  crons: string[];
  /** Logical queue names the consumer dispatches to job handlers (`QUEUE_NAMES`), without the dead-letter queue. */
  jobQueues: readonly string[];
}

const BINDING_TYPES: Record<string, BindingKind> = {
  D1Database: "d1",
  R2Bucket: "r2",
  KVNamespace: "kv",
  DurableObjectNamespace: "durable_object",
  Queue: "queue",
  AnalyticsEngineDataset: "analytics_engine",
};

/** Bindings and secrets declared by `export interface Env { … }` in src/env.ts. */
function envDeclarations(source: string): Pick<CodeFacts, "bindings" | "secrets"> {
  const body = source.match(/export interface Env \{\n([\s\S]*?)\n\}/)?.[1];
  if (!body) throw new Error("src/env.ts: no `export interface Env { … }` found");
  const bindings: CodeBinding[] = [];
  const secrets: string[] = [];
  let inSecrets = false;
  for (const line of body.split("\n")) {
    if (/^\s*\/\/\s*Secrets\b/.test(line)) inSecrets = true;
    const member = line.match(/^ {2}([A-Z][A-Z0-9_]*)(\?)?:\s*([A-Za-z0-9]+)/);
    if (!member) continue;
    const [, name, optional, type] = member;
    const kind = BINDING_TYPES[type!];
    if (kind) bindings.push({ name: name!, kind, optional: optional === "?" });
    else if (inSecrets) secrets.push(name!);
  }
  return { bindings, secrets };
}

/** Cron expressions named by `export const <NAME>_CRON = "<expression>"` in the given sources. */
function cronsDeclared(sources: string[]): string[] {
  return [...new Set(sources.flatMap((source) => [...source.matchAll(/export const \w+_CRON = "([^"]+)"/g)].map((m) => m[1]!)))];
}

/** Reads the code facts from the project at `root`. */
export function readCodeFacts(root: string): CodeFacts {
  const workerSources = readdirSync(join(root, "workers"))
    .filter((file) => file.endsWith(".ts"))
    .map((file) => readFileSync(join(root, "workers", file), "utf8"));
  return {
    ...envDeclarations(readFileSync(join(root, "src/env.ts"), "utf8")),
    crons: cronsDeclared(workerSources),
    jobQueues: QUEUE_NAMES,
  };
}

/** Stand-ins for bindings, so the settings alone are validated. */
const BINDING_STANDINS = { DB: {}, FILES: {}, RATE_LIMITER: {} };

/**
 * The settings the Worker's own start-up validation (src/config.ts) refuses for these vars, before any
 * secret is set: a secret the environment requires shows up here by name, as does an invalid var.
 */
export function settingsRefused(vars: Record<string, string>): string[] {
  try {
    loadConfig({ ...vars, ...BINDING_STANDINS } as unknown as Env);
    return [];
  } catch (error) {
    const settings = (error as { settings?: string[] }).settings;
    if (!settings) throw error;
    return settings;
  }
}

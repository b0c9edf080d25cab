import { parseArgs } from "node:util";
import type { Thresholds } from "./thresholds";

const SCENARIO_NAMES = ["browse", "take-test", "storm", "api-keys"] as const;
export type ScenarioName = (typeof SCENARIO_NAMES)[number];

/** Each scenario's pace when the command line sets none: brief, and gentle enough for a 2-core laptop. */
const DEFAULT_RATE: Record<ScenarioName, number> = { browse: 20, "take-test": 1, storm: 10, "api-keys": 16 };
const DEFAULT_DURATION: Record<ScenarioName, number> = { browse: 20, "take-test": 20, storm: 10, "api-keys": 20 };

export interface LoadOptions {
  scenario: ScenarioName;
  /** A deployed environment's base URL; absent, a local server is started (wrangler dev, seeded world). */
  url: string | null;
  /** Port of that local server. */
  port: number;
  /** Arrivals per second (requests, students starting a test, submits, API-key calls: see each scenario). */
  rate: number;
  /** Seconds during which arrivals come; the run then waits for what is in flight and stops. */
  durationSeconds: number;
  /** An admin's session token or API key (`--token` or PROCTOR_LOAD_TOKEN): discovery, question bank reads, API keys. */
  token: string | null;
  /** A file of student bearer tokens, one per line, used instead of signing students up. */
  studentsFile: string | null;
  /** How many student accounts to use; default: what the scenario needs. */
  users: number | null;
  /** Each take-test journey signs its student up and in (counted), instead of using prepared accounts. */
  signup: boolean;
  /** The test to take; default: the seeded mock locally, else the first published test. */
  testId: string | null;
  /** Arrivals beyond this many unfinished ones are dropped and counted: the generator never queues unboundedly. */
  maxInFlight: number;
  timeoutMs: number;
  /** Pause between a student's answers (take-test). */
  thinkMs: number;
  /** Interval between result polls. */
  pollMs: number;
  /** API keys to create and drive (api-keys), each with its own limit of keyLimit per keyWindowSeconds. */
  keys: number;
  keyLimit: number;
  keyWindowSeconds: number;
  /** Answers each storm student saves before the deadline window. */
  answers: number;
  thresholds: Thresholds;
  json: boolean;
}

export class UsageError extends Error {}

const NUMBER_OPTIONS = {
  port: { min: 1, integer: true },
  rate: { min: 0.01, integer: false },
  duration: { min: 1, integer: false },
  users: { min: 1, integer: true },
  "max-in-flight": { min: 1, integer: true },
  "timeout-ms": { min: 1, integer: true },
  "think-ms": { min: 0, integer: true },
  "poll-ms": { min: 10, integer: true },
  keys: { min: 1, integer: true },
  "key-limit": { min: 1, integer: true },
  "key-window": { min: 1, integer: true },
  answers: { min: 0, integer: true },
  "max-p50-ms": { min: 0, integer: false },
  "max-p90-ms": { min: 0, integer: false },
  "max-p99-ms": { min: 0, integer: false },
  "min-rps": { min: 0, integer: false },
  "max-scored-ms": { min: 0, integer: false },
  "max-all-scored-ms": { min: 0, integer: false },
} as const;

type NumberOption = keyof typeof NUMBER_OPTIONS;

function number(values: Record<string, unknown>, name: NumberOption): number | undefined {
  const raw = values[name];
  if (raw === undefined) return undefined;
  const value = Number(raw);
  const rule = NUMBER_OPTIONS[name];
  if (!Number.isFinite(value) || value < rule.min || (rule.integer && !Number.isInteger(value))) {
    throw new UsageError(`--${name} must be ${rule.integer ? "a whole number" : "a number"} of at least ${rule.min}, not "${String(raw)}"`);
  }
  return value;
}

/** `0.01`, `1%` or `1 %` as a fraction. */
function errorRate(raw: string | undefined): number | undefined {
  if (raw === undefined) return undefined;
  const percent = raw.trim().endsWith("%");
  const value = Number(raw.replace("%", "").trim()) / (percent ? 100 : 1);
  if (!Number.isFinite(value) || value < 0 || value > 1)
    throw new UsageError(`--max-error-rate must be a fraction (0.01) or a percentage (1%), not "${raw}"`);
  return value;
}

function baseUrl(raw: string | undefined): string | null {
  if (raw === undefined) return null;
  let url: URL;
  try {
    url = new URL(raw);
  } catch {
    throw new UsageError(`--url must be an http(s) URL, not "${raw}"`);
  }
  if (url.protocol !== "http:" && url.protocol !== "https:") throw new UsageError(`--url must be an http(s) URL, not "${raw}"`);
  return url.href.replace(/\/+$/, "");
}

/** Parses `npm run load -- …`; `env` supplies PROCTOR_LOAD_TOKEN. Throws UsageError with a sentence for the user. */
export function parseLoadArgs(argv: string[], env: Record<string, string | undefined> = {}): LoadOptions {
  const numberOptions = Object.fromEntries(Object.keys(NUMBER_OPTIONS).map((name) => [name, { type: "string" as const }]));
  let values: Record<string, string | boolean | undefined>;
  try {
    ({ values } = parseArgs({
      args: argv,
      strict: true,
      allowPositionals: false,
      options: {
        ...numberOptions,
        scenario: { type: "string" },
        url: { type: "string" },
        token: { type: "string" },
        "students-file": { type: "string" },
        test: { type: "string" },
        signup: { type: "boolean" },
        "max-error-rate": { type: "string" },
        json: { type: "boolean" },
      },
    }));
  } catch (error) {
    throw new UsageError((error as Error).message);
  }
  const scenario = values.scenario as string | undefined;
  if (!scenario) throw new UsageError(`--scenario is required: one of ${SCENARIO_NAMES.join(", ")}`);
  if (!(SCENARIO_NAMES as readonly string[]).includes(scenario)) {
    throw new UsageError(`unknown scenario "${scenario}": one of ${SCENARIO_NAMES.join(", ")}`);
  }
  const name = scenario as ScenarioName;
  const url = baseUrl(values.url as string | undefined);
  const token = (values.token as string | undefined) ?? env.PROCTOR_LOAD_TOKEN ?? null;
  if (url && name === "api-keys" && !token) {
    throw new UsageError("against --url, api-keys needs an account that may create API keys: --token or PROCTOR_LOAD_TOKEN");
  }
  return {
    scenario: name,
    url,
    port: number(values, "port") ?? 8810,
    rate: number(values, "rate") ?? DEFAULT_RATE[name],
    durationSeconds: number(values, "duration") ?? DEFAULT_DURATION[name],
    token,
    studentsFile: (values["students-file"] as string | undefined) ?? null,
    users: number(values, "users") ?? null,
    signup: values.signup === true,
    testId: (values.test as string | undefined) ?? null,
    maxInFlight: number(values, "max-in-flight") ?? 1000,
    timeoutMs: number(values, "timeout-ms") ?? 15_000,
    thinkMs: number(values, "think-ms") ?? 0,
    pollMs: number(values, "poll-ms") ?? 250,
    keys: number(values, "keys") ?? 4,
    keyLimit: number(values, "key-limit") ?? 20,
    keyWindowSeconds: number(values, "key-window") ?? 10,
    answers: number(values, "answers") ?? 5,
    thresholds: {
      maxP50Ms: number(values, "max-p50-ms"),
      maxP90Ms: number(values, "max-p90-ms"),
      maxP99Ms: number(values, "max-p99-ms"),
      maxErrorRate: errorRate(values["max-error-rate"] as string | undefined),
      minRps: number(values, "min-rps"),
      maxScoredMs: number(values, "max-scored-ms"),
      maxAllScoredMs: number(values, "max-all-scored-ms"),
    },
    json: values.json === true,
  };
}

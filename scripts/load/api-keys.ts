import type { Row } from "../../bench/lib/table";
import { must, type LoadClient } from "./client";
import { runArrivals } from "./open-model";
import { rateLimitFields, rateLimitProblems, windowViolations, type Admission } from "./rate-limit-answers";
import { Recorder } from "./recorder";
import type { Scenario, ScenarioContext } from "./scenario";
import { signUpStudent } from "./students";

interface DrivenKey {
  id: string;
  secret: string;
  prefix: string;
  admitted: Admission[];
  limited: number;
  other: number;
  retryAfter: number[];
  policies: Set<string>;
}

/** An offered pace this far above a key's limit must meet some 429s within two windows. */
const SURE_OVERLOAD = 1.5;

async function createKeys(ctx: ScenarioContext, owner: string): Promise<DrivenKey[]> {
  const { keys, keyLimit, keyWindowSeconds } = ctx.options;
  const expiresAt = new Date(Date.now() + 24 * 3_600_000).toISOString();
  const created: DrivenKey[] = [];
  for (let i = 0; i < keys; i++) {
    const body = {
      name: `load ${ctx.runId} ${i}`,
      scopes: ["profile:read"],
      expiresAt,
      rateLimit: { limit: keyLimit, windowSeconds: keyWindowSeconds },
    };
    const key = must(await ctx.setup.call("create API key", "POST", "/v1/api-keys", { token: owner, body }));
    created.push({
      id: key.body.id,
      secret: key.body.key,
      prefix: key.body.prefix,
      admitted: [],
      limited: 0,
      other: 0,
      retryAfter: [],
      policies: new Set(),
    });
  }
  return created;
}

async function revokeKeys(setup: LoadClient, owner: string, keys: DrivenKey[]): Promise<void> {
  for (const key of keys) await setup.call("revoke API key", "DELETE", `/v1/api-keys/${key.id}`, { token: owner });
}

/**
 * API-key clients at and beyond their limits: `--keys` keys, each created with its own limit of
 * `--key-limit` per `--key-window` s, share `--rate` calls a second of `GET /v1/me`. Every answer's
 * rate-limit fields are checked against the contract, and each key's admissions against its window;
 * 429s are expected answers, not errors. The keys are revoked at the end.
 */
export const apiKeys: Scenario = {
  name: "api-keys",
  arrival: "API-key calls",
  students: () => 1,
  async run(ctx) {
    const { options, setup, target } = ctx;
    // Locally a seeded student owns the keys; against a deployed environment, the account of --token.
    const owner = target.students[0] ?? options.token ?? (await signUpStudent(setup, ctx.runId, 0));
    const keys = await createKeys(ctx, owner);
    const problems = new Map<string, number>();
    ctx.log("Setup done: measuring.");
    const recorder = new Recorder();
    const client = setup.recordingInto(recorder);
    try {
      const arrivals = await runArrivals(
        { ratePerSecond: options.rate, durationSeconds: options.durationSeconds, maxInFlight: options.maxInFlight },
        async (i) => {
          const key = keys[i % keys.length]!;
          const answer = await client.call("GET /v1/me (API key)", "GET", "/v1/me", {
            token: key.secret,
            expect: (s) => s === 200 || s === 429,
          });
          if (answer.status === 200) key.admitted.push({ sentAt: answer.sentAt, receivedAt: answer.receivedAt });
          else if (answer.status === 429) key.limited++;
          else key.other++;
          if (answer.status !== 200 && answer.status !== 429) return;
          for (const problem of rateLimitProblems(answer.status, answer.headers, answer.body, Date.now() / 1000)) {
            problems.set(problem, (problems.get(problem) ?? 0) + 1);
          }
          const fields = rateLimitFields(answer.headers);
          if (fields) key.policies.add(`"${fields.policy}";q=${fields.quota};w=${fields.windowSeconds}`);
          if (fields?.retryAfter != null) key.retryAfter.push(fields.retryAfter);
        },
      );
      const windowMs = options.keyWindowSeconds * 1000;
      const offeredPerKey = options.rate / keys.length;
      const pace = options.keyLimit / options.keyWindowSeconds;
      const rows: Row[] = keys.map((key) => ({
        key: key.prefix,
        requests: key.admitted.length + key.limited + key.other,
        admitted: key.admitted.length,
        "429s": key.limited,
        other: key.other,
        "window violations": windowViolations(key.admitted, options.keyLimit, windowMs),
        "Retry-After s": key.retryAfter.length ? `${Math.min(...key.retryAfter)}–${Math.max(...key.retryAfter)}` : "-",
        policies: [...key.policies].join(" "),
      }));
      const findings = [...problems].map(([problem, count]) => `${problem} (${count}×)`);
      for (const row of rows) {
        if (Number(row["window violations"]) > 0)
          findings.push(`key ${row.key}: more than ${options.keyLimit} admitted within ${options.keyWindowSeconds} s`);
      }
      if (
        offeredPerKey >= SURE_OVERLOAD * pace &&
        options.durationSeconds >= 2 * options.keyWindowSeconds &&
        keys.every((k) => k.limited === 0)
      ) {
        findings.push(`no 429 at all, though each key was offered ${offeredPerKey.toFixed(1)}/s against a limit of ${pace.toFixed(1)}/s`);
      }
      return {
        recorder,
        arrivals,
        problems: findings,
        tables: [
          {
            title: `API keys (each ${options.keyLimit} per ${options.keyWindowSeconds} s, offered ${offeredPerKey.toFixed(1)}/s = ${(offeredPerKey / pace).toFixed(1)}× its limit)`,
            rows,
          },
        ],
      };
    } finally {
      await revokeKeys(setup, owner, keys);
    }
  },
};

import { and, count, countDistinct, eq, gt } from "drizzle-orm";
import type { Context } from "hono";
import { loginFailures } from "../../../db/schema";
import type { Database } from "../../../db";
import type { AppEnv } from "../../../env";
import { writeSecurityEvent } from "../events";
import { hasRecentEvent } from "./recent-event";

/** Failed logins for one email within the window that make an attack on that account. */
export const BRUTE_FORCE = { maxFailures: 5, windowMs: 15 * 60_000 } as const;

/**
 * Failures for one email in the window, and from how many IPs (one source, or a distributed run);
 * meant to run in the same batch as the insert that adds one.
 */
export function accountFailureCount(db: Database, emailHash: string, now: number) {
  return db
    .select({ n: count(), ips: countDistinct(loginFailures.ip) })
    .from(loginFailures)
    .where(and(eq(loginFailures.emailHash, emailHash), gt(loginFailures.createdAt, now - BRUTE_FORCE.windowMs)));
}

export interface BruteForceInput {
  email: string;
  emailHash: string;
  userId: string | null;
  /** Failures for this email in the window, this one included. */
  failures: number;
  /** Distinct IPs those failures came from. */
  sourceIps: number;
  now: number;
}

/**
 * Brute force on one account: at least `maxFailures` failed logins for the same email within the
 * window, from any number of IPs. Reported once per account per window; HIGH when the account exists
 * (a real account is under attack), MEDIUM for an unknown email (enumeration or a stale list).
 */
export async function detectBruteForce(c: Context<AppEnv>, input: BruteForceInput): Promise<boolean> {
  if (input.failures < BRUTE_FORCE.maxFailures) return false;
  const since = input.now - BRUTE_FORCE.windowMs;
  if (await hasRecentEvent(c.var.db, { type: "brute_force", since, detail: { key: "emailHash", value: input.emailHash } })) return false;
  await writeSecurityEvent(c, {
    type: "brute_force",
    severity: input.userId ? "HIGH" : "MEDIUM",
    actorId: input.userId,
    apiKeyId: null,
    details: {
      email: input.email,
      emailHash: input.emailHash,
      accountExists: input.userId !== null,
      failures: input.failures,
      sourceIps: input.sourceIps,
      windowSeconds: BRUTE_FORCE.windowMs / 1000,
    },
  });
  return true;
}

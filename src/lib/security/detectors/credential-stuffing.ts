import { and, countDistinct, eq, gt } from "drizzle-orm";
import type { Context } from "hono";
import { loginFailures, type SecuritySeverity } from "../../../db/schema";
import type { Database } from "../../../db";
import type { AppEnv } from "../../../env";
import { writeSecurityEvent } from "../events";
import { hasRecentEvent } from "./recent-event";

/**
 * Distinct accounts failing from one IP within the window: `minAccounts` is stuffing (HIGH),
 * `criticalAccounts` a large-scale run (CRITICAL, reported again at that level).
 */
export const CREDENTIAL_STUFFING = { minAccounts: 5, criticalAccounts: 25, windowMs: 15 * 60_000 } as const;

/** Distinct emails that failed from this IP in the window; run in the same batch as the insert. */
export function distinctAccountsFromIp(db: Database, ip: string, now: number) {
  return db
    .select({ n: countDistinct(loginFailures.emailHash) })
    .from(loginFailures)
    .where(and(eq(loginFailures.ip, ip), gt(loginFailures.createdAt, now - CREDENTIAL_STUFFING.windowMs)));
}

export interface CredentialStuffingInput {
  ip: string;
  /** Distinct emails that failed from `ip` in the window, this one included. */
  accounts: number;
  now: number;
}

/**
 * Credential stuffing: many different accounts failing from one IP, the signature of a leaked
 * credential list being replayed. Reported once per IP and severity per window.
 */
export async function detectCredentialStuffing(c: Context<AppEnv>, input: CredentialStuffingInput): Promise<boolean> {
  if (input.accounts < CREDENTIAL_STUFFING.minAccounts) return false;
  const severity: SecuritySeverity = input.accounts >= CREDENTIAL_STUFFING.criticalAccounts ? "CRITICAL" : "HIGH";
  const since = input.now - CREDENTIAL_STUFFING.windowMs;
  if (await hasRecentEvent(c.var.db, { type: "credential_stuffing", since, ip: input.ip, severity })) return false;
  await writeSecurityEvent(c, {
    type: "credential_stuffing",
    severity,
    actorId: null,
    apiKeyId: null,
    details: { distinctAccounts: input.accounts, windowSeconds: CREDENTIAL_STUFFING.windowMs / 1000 },
  });
  return true;
}

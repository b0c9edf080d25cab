import { and, desc, eq, lt } from "drizzle-orm";
import type { Context } from "hono";
import { clock } from "../clock";
import { sha256Hex } from "../auth/tokens";
import { loginFailures, userLogins } from "../../db/schema";
import type { AppEnv } from "../../env";
import { accountFailureCount, detectBruteForce } from "./detectors/brute-force";
import { detectCredentialStuffing, distinctAccountsFromIp } from "./detectors/credential-stuffing";
import { detectImpossibleTravel } from "./detectors/impossible-travel";
import { detectNewDevice, type LoginSighting } from "./detectors/new-device";

/** How many earlier logins a new one is compared with (served by the user_id, created_at index). */
const LOGIN_HISTORY = 20;

/** Runs detection after the response so a login is never slowed or failed by it. */
function afterResponse(c: Context<AppEnv>, what: string, work: () => Promise<unknown>): void {
  c.executionCtx.waitUntil(work().catch((error: unknown) => c.var.logger.error("login monitoring failed", { what, error: String(error) })));
}

/**
 * Call when a login fails (wrong password or unknown email). Records the failure and judges brute
 * force on the account and credential stuffing from the IP. The insert and both counts run in one
 * D1 batch (a transaction), so each failure sees an exact count that includes itself.
 */
export function onLoginFailed(c: Context<AppEnv>, input: { email: string; userId?: string | null }): void {
  afterResponse(c, "login_failed", async () => {
    const db = c.var.db;
    const now = clock.now();
    const ip = c.var.requestContext.ip;
    const email = input.email.trim().toLowerCase();
    const emailHash = await sha256Hex(email);
    const userId = input.userId ?? null;
    const [, accountRows, ipRows] = await db.batch([
      db.insert(loginFailures).values({ emailHash, userId, ip, createdAt: now }),
      accountFailureCount(db, emailHash, now),
      distinctAccountsFromIp(db, ip, now),
    ]);
    await detectBruteForce(c, { email, emailHash, userId, failures: accountRows[0]?.n ?? 0, sourceIps: accountRows[0]?.ips ?? 0, now });
    await detectCredentialStuffing(c, { ip, accounts: ipRows[0]?.n ?? 0, now });
  });
}

/**
 * Call after a successful login has been written (the login route records the user_logins row in
 * the same batch as the session). Compares this login with the account's earlier ones for a new
 * device or IP and for impossible travel.
 */
/** Where and on what this request signs in from: the shape `user_logins` stores and the detectors compare. */
export async function loginSighting(c: Context<AppEnv>, now: number): Promise<LoginSighting> {
  const ctx = c.var.requestContext;
  return {
    ip: ctx.ip,
    userAgentHash: ctx.userAgent ? await sha256Hex(ctx.userAgent) : null,
    country: ctx.country,
    city: ctx.city,
    latitude: ctx.latitude,
    longitude: ctx.longitude,
    createdAt: now,
  };
}

export function onLoginSucceeded(c: Context<AppEnv>, input: { userId: string }): void {
  afterResponse(c, "login_succeeded", async () => {
    const current = await loginSighting(c, clock.now());
    // Rows from before this request began: this login's own row is written during the request.
    const previous = await c.var.db
      .select()
      .from(userLogins)
      .where(and(eq(userLogins.userId, input.userId), lt(userLogins.createdAt, c.var.requestContext.startedAt)))
      .orderBy(desc(userLogins.createdAt))
      .limit(LOGIN_HISTORY)
      .all();
    await detectNewDevice(c, { userId: input.userId, current, previous });
    await detectImpossibleTravel(c, { userId: input.userId, current, previous });
  });
}

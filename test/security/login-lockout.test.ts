import { env } from "cloudflare:workers";
import { describe, expect, it } from "vitest";
import { DEVICE_TOKEN_TTL_SECONDS } from "../../src/lib/auth/device-tokens";
import { clock } from "../../src/lib/clock";
import { DEFAULT_POLICIES } from "../../src/lib/security/rate-limit";
import { clientIp, createUser, DEFAULT_TEST_PASSWORD, uniqueEmail } from "../helpers/auth";
import { problemOf, sendJson } from "../helpers/http";
import { envWith } from "../helpers/rate-limit";
import { testApp } from "../helpers/test-app";

/**
 * Locking out the owner must not be an attack (OWASP device cookies): a client holding a device token
 * for the account is limited in its own bucket; everyone else shares the account's lockout; per-IP
 * limits stay for all.
 */

const login = (email: string, password: string, headers: Record<string, string> = {}) =>
  sendJson("/v1/auth/login", "POST", { email, password }, { ...clientIp(), ...headers });

/** Failures needed to block an account's bucket under the default `auth` policy: the limit, then the breaches. */
const TO_BLOCK = DEFAULT_POLICIES.auth.limit + DEFAULT_POLICIES.auth.block!.breaches;

/** `count` wrong passwords for `email`, each from a new IP, one after another; returns the statuses. */
async function attack(email: string, count = TO_BLOCK, headers: Record<string, string> = {}) {
  const statuses: number[] = [];
  for (let i = 0; i < count; i++) statuses.push((await login(email, `Wrong-Guess-${i}-9!`, headers)).status);
  return statuses;
}

const asDevice = (token: string) => ({ "X-Device-Token": token });

/** A signed-in owner, with the minute of their own register and login behind them so counts start at zero. */
async function ownerSignedIn() {
  const created = await createUser();
  clock.advance(DEFAULT_POLICIES.auth.windowSeconds * 1000 + 1000);
  return created;
}

describe("device tokens", () => {
  it("a login hands one out: in the body for API clients, as a hardened __Host- cookie for browsers", async () => {
    const { user } = await createUser();
    const res = await login(user.email, DEFAULT_TEST_PASSWORD);
    expect(res.status).toBe(200);
    expect(res.headers.get("Cache-Control")).toBe("no-store");
    const body = (await res.json()) as { deviceToken: string; deviceTokenExpiresAt: string };
    expect(body.deviceToken).toMatch(/^dt_usr_[0-9A-Z]{26}\.\d{13}\.\d{13}\.[\w-]{22}\.[\w-]{43}$/);
    expect(Date.parse(body.deviceTokenExpiresAt) - Date.now()).toBeGreaterThan((DEVICE_TOKEN_TTL_SECONDS - 60) * 1000);
    const cookie = res.headers.getSetCookie().find((line) => line.startsWith("__Host-proctor_device="))!;
    expect(cookie).toContain(`__Host-proctor_device=${body.deviceToken}`);
    for (const attribute of ["; HttpOnly", "; Secure", "; SameSite=Strict", "; Path=/", `; Max-Age=${DEVICE_TOKEN_TTL_SECONDS}`]) {
      expect(cookie).toContain(attribute);
    }
    expect(cookie).not.toMatch(/Domain=/i);
  });

  it("a failed login hands out nothing", async () => {
    const { user } = await createUser();
    const res = await login(user.email, "Wrong-Password-1!");
    expect(res.status).toBe(401);
    expect(res.headers.getSetCookie()).toEqual([]);
    expect(JSON.stringify(await res.json())).not.toContain("dt_");
  });
});

describe("30 failures from 30 IPs", () => {
  it("block the account for strangers while its owner, holding a device token, gets in at once", async () => {
    const owner = await ownerSignedIn();
    const statuses = await attack(owner.user.email);
    expect(statuses.slice(0, DEFAULT_POLICIES.auth.limit).every((status) => status === 401)).toBe(true);
    expect(statuses.slice(DEFAULT_POLICIES.auth.limit).every((status) => status === 429)).toBe(true);

    // An attacker without a token, from a fresh IP, stays blocked — even with the right password.
    const stranger = await login(owner.user.email, "Another-Guess-1!");
    expect(stranger.status).toBe(429);
    expect(await problemOf(stranger)).toMatchObject({ code: "rate_limited", blocked: true });
    expect((await login(owner.user.email, DEFAULT_TEST_PASSWORD)).status).toBe(429);

    // The owner, from a fresh IP: the API client's header, and the browser's cookie.
    expect((await login(owner.user.email, DEFAULT_TEST_PASSWORD, asDevice(owner.deviceToken))).status).toBe(200);
    expect((await login(owner.user.email, DEFAULT_TEST_PASSWORD, { Cookie: `__Host-proctor_device=${owner.deviceToken}` })).status).toBe(
      200,
    );
    // And the lockout still holds for everyone else.
    expect((await login(owner.user.email, DEFAULT_TEST_PASSWORD)).status).toBe(429);
  });

  it("while the attack runs concurrently, the owner gets in and exactly the limit of guesses reach the password check", async () => {
    const owner = await ownerSignedIn();
    const guesses = Array.from({ length: TO_BLOCK }, (_, i) => login(owner.user.email, `Parallel-Guess-${i}-9!`));
    const ownLogin = login(owner.user.email, DEFAULT_TEST_PASSWORD, asDevice(owner.deviceToken));
    const [statuses, own] = await Promise.all([Promise.all(guesses.map(async (res) => (await res).status)), ownLogin]);
    expect(own.status).toBe(200);
    expect(statuses.filter((status) => status === 401)).toHaveLength(DEFAULT_POLICIES.auth.limit);
    expect(statuses.filter((status) => status === 429)).toHaveLength(TO_BLOCK - DEFAULT_POLICIES.auth.limit);
    expect((await login(owner.user.email, DEFAULT_TEST_PASSWORD)).status).toBe(429);
  });
});

describe("tokens that do not open the door", () => {
  it("another account's token, a tampered one, garbage and a token signed with another secret share the lockout", async () => {
    const owner = await ownerSignedIn();
    const other = await createUser();
    await attack(owner.user.email);

    const tampered = owner.deviceToken.slice(0, -2) + (owner.deviceToken.endsWith("AA") ? "BB" : "AA");
    const reissuedForOther = owner.deviceToken.replace(owner.user.id, other.user.id);
    const oversized = `dt_${"A".repeat(10_000)}`;
    for (const token of [other.deviceToken, tampered, reissuedForOther, "dt_garbage", oversized, ""]) {
      const res = await login(owner.user.email, DEFAULT_TEST_PASSWORD, asDevice(token));
      expect(res.status, token.slice(0, 40)).toBe(429);
    }

    // Signed by a deployment with a configured secret: not ours here, so not trusted.
    const { request } = testApp();
    const elsewhere = envWith({ DEVICE_TOKEN_SECRET: "s".repeat(48) });
    const foreign = await request(
      "/v1/auth/login",
      {
        method: "POST",
        headers: { "Content-Type": "application/json", ...clientIp(), ...asDevice(owner.deviceToken) },
        body: JSON.stringify({ email: owner.user.email, password: DEFAULT_TEST_PASSWORD }),
      },
      elsewhere,
    );
    expect(foreign.status).toBe(429);
  });

  it("an expired token is not trusted", async () => {
    const owner = await ownerSignedIn();
    clock.advance(DEVICE_TOKEN_TTL_SECONDS * 1000 + 1000);
    await attack(owner.user.email);
    expect((await login(owner.user.email, DEFAULT_TEST_PASSWORD, asDevice(owner.deviceToken))).status).toBe(429);
  });

  it("a token is a bucket of its own, not a pass: its holder is limited like any client", async () => {
    const owner = await ownerSignedIn();
    const statuses = await attack(owner.user.email, DEFAULT_POLICIES.auth.limit + 1, asDevice(owner.deviceToken));
    expect(statuses.slice(0, -1).every((status) => status === 401)).toBe(true);
    expect(statuses.at(-1)).toBe(429);
    // Its guesses did not spend the account's shared bucket.
    expect((await login(owner.user.email, DEFAULT_TEST_PASSWORD)).status).toBe(200);
  });

  it("per-IP limits stay: a token does not lift the limit on its IP", async () => {
    const owner = await ownerSignedIn();
    const ip = clientIp();
    for (let i = 0; i < DEFAULT_POLICIES.auth.limit; i++) await login(uniqueEmail("spray"), "Spray-Guess-9!", ip);
    expect((await login(owner.user.email, DEFAULT_TEST_PASSWORD, { ...ip, ...asDevice(owner.deviceToken) })).status).toBe(429);
  });

  it("a password change withdraws every other device's trust and gives the caller a fresh token", async () => {
    const owner = await ownerSignedIn();
    // Someone who knew the old password signed in and kept the device token it got.
    const intruder = (await (await login(owner.user.email, DEFAULT_TEST_PASSWORD)).json()) as { deviceToken: string };
    const newPassword = "Recovered-Account-7!";
    const changed = await sendJson("/v1/me/password", "POST", { currentPassword: DEFAULT_TEST_PASSWORD, newPassword }, owner.headers);
    expect(changed.status).toBe(200);
    const { deviceToken } = (await changed.json()) as { deviceToken: string };
    expect(changed.headers.getSetCookie().some((line) => line.startsWith(`__Host-proctor_device=${deviceToken}`))).toBe(true);

    await attack(owner.user.email);
    expect((await login(owner.user.email, newPassword, asDevice(intruder.deviceToken))).status).toBe(429);
    expect((await login(owner.user.email, newPassword, asDevice(owner.deviceToken))).status).toBe(429);
    expect((await login(owner.user.email, newPassword, asDevice(deviceToken))).status).toBe(200);
  });
});

describe("the signing secret", () => {
  it("is required in staging and production, and must be long", async () => {
    const { request } = testApp();
    for (const [ENVIRONMENT, DEVICE_TOKEN_SECRET] of [
      ["production", ""],
      ["staging", ""],
      ["test", "too-short"],
    ]) {
      const res = await request("/health", {}, { ...env, ENVIRONMENT, DEVICE_TOKEN_SECRET });
      const problem = await problemOf(res);
      expect(problem.code, `${ENVIRONMENT}`).toBe("misconfigured");
      expect(problem.detail).toContain("DEVICE_TOKEN_SECRET");
      expect(problem.detail).not.toContain("too-short");
    }
    expect(
      (
        await request(
          "/health",
          {},
          {
            ...env,
            ENVIRONMENT: "production",
            DEVICE_TOKEN_SECRET: "p".repeat(32),
            EMAIL_LINK_SECRET: "e".repeat(32),
            EXPORT_LINK_SECRET: "x".repeat(32),
            WEBHOOK_ALLOW_LOOPBACK: "false",
          },
        )
      ).status,
    ).not.toBe(500);
  });

  it("when configured, signs tokens every isolate accepts", async () => {
    const { request } = testApp();
    const bindings = envWith({ DEVICE_TOKEN_SECRET: "k".repeat(40) });
    const owner = await ownerSignedIn();
    const send = (password: string, headers: Record<string, string> = {}) =>
      request(
        "/v1/auth/login",
        {
          method: "POST",
          headers: { "Content-Type": "application/json", ...clientIp(), ...headers },
          body: JSON.stringify({ email: owner.user.email, password }),
        },
        bindings,
      );
    const { deviceToken } = (await (await send(DEFAULT_TEST_PASSWORD)).json()) as { deviceToken: string };
    for (let i = 0; i < TO_BLOCK; i++) await send(`Wrong-Guess-${i}-9!`);
    expect((await send(DEFAULT_TEST_PASSWORD)).status).toBe(429);
    expect((await send(DEFAULT_TEST_PASSWORD, asDevice(deviceToken))).status).toBe(200);
  });
});

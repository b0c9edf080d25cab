import { describe, expect, it } from "vitest";
import { clock } from "../../src/lib/clock";
import { clientIp, createApiKey, createUser, uniqueEmail } from "../helpers/auth";
import { call, problemOf, sendJson } from "../helpers/http";

/** The limiter as wired into the real routes, with the default policies (docs/rate-limiting.md). */
describe("rate limits on the real routes", () => {
  it("login: ten guesses a minute for one email, however many IPs they come from", async () => {
    const email = uniqueEmail("target");
    const statuses: number[] = [];
    for (let i = 0; i < 11; i++) {
      const res = await sendJson("/v1/auth/login", "POST", { email, password: `Guess-${i}-Wrong!` }, clientIp());
      statuses.push(res.status);
      if (res.status === 401) expect(res.headers.get("RateLimit-Policy")).toBe('"auth";q=10;w=60');
    }
    expect(statuses.slice(0, 10).every((status) => status === 401)).toBe(true);
    expect(statuses[10]).toBe(429);

    // Another account from the same IPs is unaffected; this one frees up as the minute slides by.
    expect((await sendJson("/v1/auth/login", "POST", { email: uniqueEmail("other"), password: "Whatever-9!" }, clientIp())).status).toBe(
      401,
    );
    clock.advance(61_000);
    expect((await sendJson("/v1/auth/login", "POST", { email, password: "Still-Wrong-9!" }, clientIp())).status).toBe(401);
  });

  it("login: one IP trying many accounts is stopped at the per-IP limit", async () => {
    const ip = clientIp();
    const statuses: number[] = [];
    for (let i = 0; i < 11; i++) {
      statuses.push((await sendJson("/v1/auth/login", "POST", { email: uniqueEmail("spray"), password: "Spray-Password-9!" }, ip)).status);
    }
    expect(statuses[10]).toBe(429);
    const problem = await problemOf(await sendJson("/v1/auth/login", "POST", { email: uniqueEmail("spray"), password: "x" }, ip));
    expect(problem).toMatchObject({ code: "rate_limited", policy: "auth" });
  });

  it("an API key's own rate limit applies on the API", async () => {
    const owner = await createUser();
    const key = await createApiKey(owner.headers, { scopes: ["profile:read"], rateLimit: { limit: 3, windowSeconds: 60 } });
    const statuses: number[] = [];
    for (let i = 0; i < 4; i++) statuses.push((await call("/v1/me", { headers: key.headers })).status);
    expect(statuses).toEqual([200, 200, 200, 429]);
    // The owner's session draws on the account's bucket, as did the key's creation and its three admitted requests.
    const mine = await call("/v1/me", { headers: owner.headers });
    expect(mine.status).toBe(200);
    expect(mine.headers.get("RateLimit-Policy")).toBe('"api";q=300;w=60');
    expect(mine.headers.get("X-RateLimit-Remaining")).toBe("295");
  });
});

describe("rate limits on credential checks and search", () => {
  it("password change: guesses of the current password are limited per account", async () => {
    const user = await createUser();
    const statuses: number[] = [];
    for (let i = 0; i < 11; i++) {
      const res = await sendJson(
        "/v1/me/password",
        "POST",
        { currentPassword: `Wrong-Guess-${i}-9!`, newPassword: "A-New-Password-42!" },
        { ...user.headers, ...clientIp() },
      );
      statuses.push(res.status);
    }
    expect(statuses.slice(0, 10).every((status) => status !== 429)).toBe(true);
    expect(statuses[10]).toBe(429);
  });

  it("question search answers with the search policy's fields", async () => {
    const instructor = await createUser({ role: "instructor" });
    const res = await call("/v1/questions?q=algebra", { headers: instructor.headers });
    expect(res.status).toBe(200);
    expect(res.headers.get("RateLimit-Policy")).toBe('"search";q=120;w=60');
  });
});

describe("every route group is limited", () => {
  it("answers with rate-limit fields on group roots and nested routes alike", async () => {
    const user = await createUser();
    for (const path of [
      "/v1/plans",
      "/v1/tests",
      "/v1/subscriptions",
      "/v1/me",
      "/v1/me/attempts",
      "/v1/api-keys",
      "/v1/planner/goals",
      "/v1/uploads",
    ]) {
      const res = await call(path, { headers: user.headers });
      expect(res.headers.get("RateLimit-Policy"), `${path} answered ${res.status}`).toBe('"api";q=300;w=60');
    }
    expect((await call("/health")).headers.get("RateLimit")).toBeNull();
  });
});

import { env } from "cloudflare:workers";
import { expect } from "vitest";
import type { Role } from "../../src/db/schema";
import type { Scope } from "../../src/lib/auth/scopes";
import { sendJson } from "./http";

export const DEFAULT_TEST_PASSWORD = "Correct-Horse-9-Battery";

export interface TestUser {
  user: { id: string; email: string; name: string; role: Role; createdAt: string; [field: string]: unknown };
  token: string;
  /** The device token the sign-in issued (docs/identity.md): it lets this client past the account's login lockout. */
  deviceToken: string;
  password: string;
  headers: { Authorization: string };
}

let counter = 0;

/**
 * A client address of its own (TEST-NET and benchmarking ranges are never real clients), so the
 * per-IP `auth` rate limit on register/login counts each simulated client separately. Consecutive
 * from a random start, so a file's calls never repeat one (random picks collided: ~90 routes in one
 * test met a birthday clash in 65,536 addresses about one run in sixteen).
 */
let nextIp = crypto.getRandomValues(new Uint16Array(1))[0]!;
export function clientIp(): { "CF-Connecting-IP": string } {
  const n = nextIp++ & 0xffff;
  return { "CF-Connecting-IP": `198.18.${n >> 8}.${n & 0xff}` };
}

/** A unique address per call: storage is shared by every test of a file. */
export function uniqueEmail(label = "user"): string {
  counter += 1;
  return `${label}-${Date.now().toString(36)}-${counter}-${crypto.randomUUID().slice(0, 8)}@example.test`;
}

/**
 * A registered, signed-in user through the real routes. Instructors and admins are registered as
 * students and promoted in the database before they sign in, as an operator would.
 */
export async function createUser(options: { role?: Role; email?: string; password?: string; name?: string } = {}): Promise<TestUser> {
  const email = options.email ?? uniqueEmail(options.role ?? "user");
  const password = options.password ?? DEFAULT_TEST_PASSWORD;
  const registered = await sendJson("/v1/auth/register", "POST", { email, password, name: options.name ?? "Test User" }, clientIp());
  expect(registered.status, await registered.clone().text()).toBe(201);
  const { user } = (await registered.json()) as { user: TestUser["user"] };

  if (options.role && options.role !== user.role) {
    await env.DB.prepare("UPDATE users SET role = ? WHERE id = ?").bind(options.role, user.id).run();
    user.role = options.role;
  }

  const login = await sendJson("/v1/auth/login", "POST", { email, password }, clientIp());
  expect(login.status, await login.clone().text()).toBe(200);
  const { token, deviceToken } = (await login.json()) as { token: string; deviceToken: string };
  return { user, token, deviceToken, password, headers: { Authorization: `Bearer ${token}` } };
}

/** An API key created through the real route by the user whose `headers` are given. */
export async function createApiKey(
  headers: Record<string, string>,
  options: { scopes: Scope[]; rateLimit?: { limit: number; windowSeconds: number }; name?: string; expiresAt?: string },
): Promise<{ id: string; key: string; headers: { Authorization: string } }> {
  const res = await sendJson(
    "/v1/api-keys",
    "POST",
    { name: options.name ?? "test key", scopes: options.scopes, rateLimit: options.rateLimit, expiresAt: options.expiresAt },
    headers,
  );
  expect(res.status, await res.clone().text()).toBe(201);
  const body = (await res.json()) as { id: string; key: string };
  return { id: body.id, key: body.key, headers: { Authorization: `Bearer ${body.key}` } };
}

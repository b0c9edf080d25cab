import { env } from "cloudflare:workers";
import { describe, expect, it } from "vitest";
import { clientIp, DEFAULT_TEST_PASSWORD, uniqueEmail } from "../helpers/auth";
import { problemOf, sendJson } from "../helpers/http";
import { auditRows } from "./support";

const register = (body: unknown) => sendJson("/v1/auth/register", "POST", body, clientIp());

describe("POST /v1/auth/register", () => {
  it("creates a student and answers 201 with the public user", async () => {
    const email = uniqueEmail("reg");
    const res = await register({ email, password: DEFAULT_TEST_PASSWORD, name: "Asha" });
    expect(res.status).toBe(201);
    const { user } = (await res.json()) as { user: Record<string, unknown> };
    expect(user).toMatchObject({ email, name: "Asha", role: "student" });
    expect(user.id).toMatch(/^usr_[0-9A-Z]{26}$/);
    expect(new Date(user.createdAt as string).toISOString()).toBe(user.createdAt);
    expect(Object.keys(user)).not.toContain("passwordHash");
  });

  it("normalises the email (trim, lower case) and stores the hash in the self-describing format", async () => {
    const email = uniqueEmail("norm");
    const res = await register({ email: `  ${email.toUpperCase()}  `, password: DEFAULT_TEST_PASSWORD, name: "N" });
    expect(res.status).toBe(201);
    const { user } = (await res.json()) as { user: { id: string; email: string } };
    expect(user.email).toBe(email);
    const row = await env.DB.prepare("SELECT password_hash FROM users WHERE id = ?").bind(user.id).first<{ password_hash: string }>();
    expect(row!.password_hash).toMatch(/^pbkdf2-sha256\$100000\$[A-Za-z0-9+/=]+\$[A-Za-z0-9+/=]+$/);
  });

  it("gives admins listed in ADMIN_EMAILS the admin role", async () => {
    const res = await register({ email: "ROOT@proctor.test", password: DEFAULT_TEST_PASSWORD, name: "Root" });
    expect(res.status).toBe(201);
    expect(((await res.json()) as { user: { role: string } }).user.role).toBe("admin");
  });

  it("answers 409 conflict for a duplicate email, whatever its case, and audits the failure", async () => {
    const email = uniqueEmail("dup");
    expect((await register({ email, password: DEFAULT_TEST_PASSWORD, name: "One" })).status).toBe(201);
    const res = await register({ email: email.toUpperCase(), password: DEFAULT_TEST_PASSWORD, name: "Two" });
    expect(res.status).toBe(409);
    const problem = await problemOf(res);
    expect(problem.code).toBe("conflict");
    const failures = await auditRows({ action: "auth.register", requestId: problem.requestId });
    expect(failures).toHaveLength(1);
    expect(failures[0]!.status).toBe("FAILURE");
  });

  it("audits a successful registration in the same batch, without the password hash", async () => {
    const res = await register({ email: uniqueEmail("aud"), password: DEFAULT_TEST_PASSWORD, name: "Aud" });
    const { user } = (await res.json()) as { user: { id: string } };
    const [row] = await auditRows({ action: "auth.register", targetId: user.id });
    expect(row).toMatchObject({ status: "SUCCESS", actor_id: user.id, target_type: "user" });
    expect(row!.changes).not.toContain("pbkdf2");
    expect(row!.changes).not.toMatch(/passwordHash/);
  });
});

describe("password policy", () => {
  const cases: [string, string, RegExp][] = [
    ["short", "Ab1!short", /at least 12 characters/],
    ["no upper", "lowercase-only-1!", /upper-case/],
    ["no lower", "UPPERCASE-ONLY-1!", /lower-case/],
    ["no digit", "No-Digits-Here!!", /digit/],
    ["no symbol", "NoSymbolsHere123", /symbol/],
  ];
  for (const [label, password, rule] of cases) {
    it(`rejects a password with ${label} naming the rule`, async () => {
      const res = await register({ email: uniqueEmail("weak"), password, name: "W" });
      expect(res.status).toBe(400);
      const problem = await problemOf(res);
      expect(problem.code).toBe("validation_failed");
      expect(problem.errors!.some((error) => error.path === "password" && rule.test(error.message))).toBe(true);
    });
  }

  it("rejects a password containing the email's local part", async () => {
    const res = await register({ email: "marigold@example.test", password: "Xx-Marigold-2024!", name: "M" });
    expect(res.status).toBe(400);
    const problem = await problemOf(res);
    expect(problem.errors!.map((error) => error.message)).toContain("Password must not contain the email address's local part");
  });

  it("rejects a password over 256 characters", async () => {
    const res = await register({ email: uniqueEmail("long"), password: `Aa1!${"x".repeat(300)}`, name: "L" });
    expect(res.status).toBe(400);
  });
});

describe("register: bad input", () => {
  it("refuses mass assignment of role (or any unknown key) and creates nothing", async () => {
    const email = uniqueEmail("mass");
    const res = await register({ email, password: DEFAULT_TEST_PASSWORD, name: "M", role: "admin" });
    expect(res.status).toBe(400);
    expect((await problemOf(res)).errors!.some((error) => error.path === "(root)")).toBe(true);
    const row = await env.DB.prepare("SELECT id FROM users WHERE email = ?").bind(email).first();
    expect(row).toBeNull();
  });

  it("rejects an invalid email, a missing name and oversized fields", async () => {
    const res = await register({ email: "not-an-email", password: DEFAULT_TEST_PASSWORD, name: "x".repeat(101) });
    expect(res.status).toBe(400);
    const paths = (await problemOf(res)).errors!.map((error) => error.path);
    expect(paths).toEqual(expect.arrayContaining(["email", "name"]));
  });

  it("answers 415 for a non-JSON body", async () => {
    const res = await sendJson("/v1/auth/register", "POST", {}, { "Content-Type": "text/plain", ...clientIp() });
    expect(res.status).toBe(415);
  });
});

describe("register: races", () => {
  it("two simultaneous registrations for one email give one 201 and one 409, never a 500", async () => {
    const email = uniqueEmail("race");
    const results = await Promise.all([1, 2, 3].map((i) => register({ email, password: DEFAULT_TEST_PASSWORD, name: `R${i}` })));
    const statuses = results.map((res) => res.status).sort();
    expect(statuses).toEqual([201, 409, 409]);
    const { results: rows } = await env.DB.prepare("SELECT id FROM users WHERE email = ?").bind(email).all();
    expect(rows).toHaveLength(1);
  });
});

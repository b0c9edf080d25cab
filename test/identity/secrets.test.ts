import { env } from "cloudflare:workers";
import { afterEach, describe, expect, it, vi } from "vitest";
import { sha256Hex } from "../../src/lib/auth/tokens";
import { uniqueEmail } from "../helpers/auth";
import { testApp } from "../helpers/test-app";

/** Captures every console line the Worker writes while `run` executes, at the most verbose log level. */
async function captureConsole(run: () => Promise<void>): Promise<string[]> {
  const lines: string[] = [];
  const record = (...args: unknown[]) => void lines.push(args.map(String).join(" "));
  const spies = (["log", "info", "warn", "error", "debug"] as const).map((method) => vi.spyOn(console, method).mockImplementation(record));
  try {
    await run();
  } finally {
    for (const spy of spies) spy.mockRestore();
  }
  return lines;
}

afterEach(() => vi.restoreAllMocks());

describe("no secret or hash leaves the Worker", () => {
  it("in any response body or log line across the whole identity flow", async () => {
    const { request } = testApp();
    const bindings = { ...env, LOG_LEVEL: "debug", REQUEST_LOG: "all" };
    const email = uniqueEmail("leak");
    const password = "Leak-Check-Secret-42!";
    const newPassword = "Leak-Check-Newer-43!";
    const bodies: string[] = [];
    const secrets: string[] = [password, newPassword];

    const send = async (path: string, method: string, body?: unknown, headers: Record<string, string> = {}) => {
      const res = await request(
        path,
        {
          method,
          headers: { ...(body === undefined ? {} : { "Content-Type": "application/json" }), ...headers },
          body: body === undefined ? undefined : JSON.stringify(body),
        },
        bindings,
      );
      const text = await res.text();
      bodies.push(text);
      return { status: res.status, json: text ? (JSON.parse(text) as Record<string, any>) : {} };
    };

    const lines = await captureConsole(async () => {
      expect((await send("/v1/auth/register", "POST", { email, password, name: "Leak" })).status).toBe(201);
      expect((await send("/v1/auth/login", "POST", { email, password: "Wrong-Password-99!" })).status).toBe(401);
      const login = await send("/v1/auth/login", "POST", { email, password });
      const token = login.json.token as string;
      secrets.push(token, login.json.deviceToken as string);
      const auth = { Authorization: `Bearer ${token}` };
      const created = await send("/v1/api-keys", "POST", { name: "leak", scopes: ["profile:read"] }, auth);
      const key = created.json.key as string;
      secrets.push(key);
      expect((await send("/v1/me", "GET", undefined, { Authorization: `Bearer ${key}` })).status).toBe(200);
      const rotated = await send(`/v1/api-keys/${created.json.id}/rotate`, "POST", undefined, auth);
      secrets.push(rotated.json.key as string);
      expect((await send("/v1/me", "GET", undefined, { Authorization: `Bearer ${key}` })).status).toBe(401);
      await send("/v1/api-keys", "GET", undefined, auth);
      const changed = await send("/v1/me/password", "POST", { currentPassword: password, newPassword, revokeApiKeys: true }, auth);
      secrets.push(changed.json.deviceToken as string);
      await send("/v1/auth/logout", "POST", undefined, auth);
    });

    const hashes = await Promise.all(secrets.slice(2).map((secret) => sha256Hex(secret)));
    const { results } = await env.DB.prepare("SELECT password_hash FROM users WHERE email = ?")
      .bind(email)
      .all<{ password_hash: string }>();
    const passwordHash = results[0]!.password_hash;
    const forbidden = [password, newPassword, ...hashes, passwordHash, passwordHash.split("$")[3]!];

    expect(lines.length).toBeGreaterThan(5);
    const logText = lines.join("\n");
    for (const value of [...secrets, ...forbidden]) expect(logText).not.toContain(value);

    // Bodies may carry a secret only where it is handed out (login token, device token, new key); never a hash or password.
    const bodyText = bodies.join("\n");
    for (const value of forbidden) expect(bodyText).not.toContain(value);
    expect(bodyText).not.toMatch(/passwordHash|keyHash|tokenHash|pbkdf2/);

    // Audit rows hold no secret either.
    const audit = await env.DB.prepare("SELECT changes, metadata FROM audit_logs").all();
    const auditText = JSON.stringify(audit.results);
    for (const value of [...secrets, ...forbidden]) expect(auditText).not.toContain(value);
  });
});

import { and, eq } from "drizzle-orm";
import { describe, expect, it } from "vitest";
import { emailTokens, events, users } from "../../src/db/schema";
import { clientIp, DEFAULT_TEST_PASSWORD, uniqueEmail } from "../helpers/auth";
import { problemOf } from "../helpers/http";
import { db, jsonInit, mailboxBindings, messagesTo, runCapturedJobs, tokenIn, type EmailBindings } from "./helpers";
import { requestWith } from "./helpers";

const NEW_PASSWORD = "Another-Good-Pass-42";

/** Registers through the real route and runs what follows (the event's dispatch, then the mail jobs). */
async function register(bindings: EmailBindings, name = "Flow User") {
  const request = requestWith(bindings);
  const email = uniqueEmail("flow");
  const res = await request("/v1/auth/register", jsonInit("POST", { email, password: DEFAULT_TEST_PASSWORD, name }, clientIp()));
  expect(res.status, await res.clone().text()).toBe(201);
  const { user } = (await res.json()) as { user: { id: string; email: string; emailVerifiedAt: string | null } };
  await runCapturedJobs(bindings, "webhooks");
  await runCapturedJobs(bindings, "emails");
  return { user, email, request };
}

async function signIn(request: ReturnType<typeof requestWith>, email: string, password = DEFAULT_TEST_PASSWORD) {
  const res = await request("/v1/auth/login", jsonInit("POST", { email, password }, clientIp()));
  const headers: Record<string, string> = {};
  if (res.status === 200) headers.Authorization = `Bearer ${((await res.json()) as { token: string }).token}`;
  return { status: res.status, headers };
}

async function verificationToken(email: string): Promise<string> {
  const mail = (await messagesTo(email)).filter((message) => message.template === "verify_email").at(-1);
  return tokenIn(mail!);
}

describe("email verification", () => {
  it("registration mails a verification link and a welcome; the link verifies the address once", async () => {
    const bindings = mailboxBindings();
    const { user, email, request } = await register(bindings, "Flow <b>User</b>");
    expect(user.emailVerifiedAt).toBeNull();
    const mail = await messagesTo(email);
    expect(mail.map((message) => message.template).sort()).toEqual(["verify_email", "welcome"]);
    expect(mail.every((message) => message.status === "sent" && message.provider === "mailbox")).toBe(true);
    expect(mail[0]!.html).not.toContain("<b>User");

    const token = await verificationToken(email);
    const verified = await request("/v1/auth/verify-email", jsonInit("POST", { token }));
    expect(verified.status, await verified.clone().text()).toBe(200);
    const body = (await verified.json()) as { user: { emailVerifiedAt: string } };
    expect(Date.parse(body.user.emailVerifiedAt)).toBeGreaterThan(0);
    const event = await db
      .select()
      .from(events)
      .where(and(eq(events.type, "user.email_verified"), eq(events.aggregateId, user.id)))
      .get();
    expect(event?.payload).toMatchObject({ userId: user.id, email });

    const again = await request("/v1/auth/verify-email", jsonInit("POST", { token }));
    expect((await problemOf(again)).code).toBe("invalid_token");
  });

  it("refuses unknown, malformed and expired tokens, and another signed-in user's token, changing nothing", async () => {
    const bindings = mailboxBindings();
    const { user, email, request } = await register(bindings);
    const token = await verificationToken(email);
    for (const bad of ["et_" + "A".repeat(43), "not-a-token", "x".repeat(200)]) {
      const res = await request("/v1/auth/verify-email", jsonInit("POST", { token: bad }));
      expect(res.status).toBe(400);
      expect((await problemOf(res)).code).toBe("invalid_token");
    }
    const oversized = await request("/v1/auth/verify-email", jsonInit("POST", { token: "x".repeat(201) }));
    expect((await problemOf(oversized)).code).toBe("validation_failed");

    const other = await register(mailboxBindings());
    const otherSession = await signIn(other.request, other.email);
    const stolen = await request("/v1/auth/verify-email", jsonInit("POST", { token }, otherSession.headers));
    expect((await problemOf(stolen)).code).toBe("invalid_token");

    await db
      .update(emailTokens)
      .set({ expiresAt: Date.now() - 1 })
      .where(eq(emailTokens.userId, user.id));
    const expired = await request("/v1/auth/verify-email", jsonInit("POST", { token }));
    expect((await problemOf(expired)).code).toBe("invalid_token");
    const row = await db.select({ verified: users.emailVerifiedAt }).from(users).where(eq(users.id, user.id)).get();
    expect(row?.verified).toBeNull();
  });

  it("resend mails a new link that withdraws the old one, is limited per account, and refuses a verified address", async () => {
    const bindings = mailboxBindings();
    const { email, request } = await register(bindings);
    const first = await verificationToken(email);
    const session = await signIn(request, email);
    const resent = await request("/v1/auth/verify-email/resend", { method: "POST", headers: { ...session.headers, ...clientIp() } });
    expect(resent.status, await resent.clone().text()).toBe(202);
    await runCapturedJobs(bindings);
    const second = await verificationToken(email);
    expect(second).not.toBe(first);
    expect((await problemOf(await request("/v1/auth/verify-email", jsonInit("POST", { token: first })))).code).toBe("invalid_token");

    const statuses: number[] = [];
    for (let i = 0; i < 5; i++)
      statuses.push(
        (await request("/v1/auth/verify-email/resend", { method: "POST", headers: { ...session.headers, ...clientIp() } })).status,
      );
    expect(statuses.slice(0, 4)).toEqual([202, 202, 202, 202]);
    expect(statuses[4]).toBe(429);

    const latest = await verificationToken(email);
    expect((await request("/v1/auth/verify-email", jsonInit("POST", { token: latest }))).status).toBe(200);
    const verifiedBindings = mailboxBindings();
    const afterVerify = await requestWith(verifiedBindings)("/v1/auth/verify-email/resend", {
      method: "POST",
      headers: { ...session.headers, ...clientIp() },
    });
    expect([409, 429]).toContain(afterVerify.status);
  });

  it("REQUIRE_VERIFIED_EMAIL=api_keys: an unverified account may not create API keys until it verifies", async () => {
    const bindings = mailboxBindings({ REQUIRE_VERIFIED_EMAIL: "api_keys" });
    const { email, request } = await register(bindings);
    const session = await signIn(request, email);
    const keyBody = { name: "ci", scopes: ["profile:read"] };
    const refused = await request("/v1/api-keys", jsonInit("POST", keyBody, session.headers));
    expect(refused.status).toBe(403);
    expect(await problemOf(refused)).toMatchObject({ code: "email_not_verified", gate: "api_keys" });

    await request("/v1/auth/verify-email", jsonInit("POST", { token: await verificationToken(email) }));
    expect((await request("/v1/api-keys", jsonInit("POST", keyBody, session.headers))).status).toBe(201);
  });
});

describe("password reset", () => {
  it("answers the same for a known and an unknown address; only the known one gets mail", async () => {
    const bindings = mailboxBindings();
    const { email, request } = await register(bindings);
    const unknown = uniqueEmail("nobody");
    const known = await request("/v1/auth/password-reset", jsonInit("POST", { email }, clientIp()));
    const stranger = await request("/v1/auth/password-reset", jsonInit("POST", { email: unknown }, clientIp()));
    expect(known.status).toBe(202);
    expect(stranger.status).toBe(202);
    expect(await known.json()).toEqual(await stranger.json());
    expect(bindings.sent.filter((message) => message.binding === "QUEUE_EMAILS")).toHaveLength(2);
    await runCapturedJobs(bindings); // the lookups
    await runCapturedJobs(bindings); // the one mail
    expect((await messagesTo(email)).filter((message) => message.template === "password_reset")).toHaveLength(1);
    expect(await messagesTo(unknown)).toHaveLength(0);
  });

  it("the mailed token sets a new password once, ends every session, revokes keys when asked and mails a notice", async () => {
    const bindings = mailboxBindings();
    const { email, request } = await register(bindings);
    const session = await signIn(request, email);
    const created = await request("/v1/api-keys", jsonInit("POST", { name: "laptop", scopes: ["profile:read"] }, session.headers));
    const apiKey = { Authorization: `Bearer ${((await created.json()) as { key: string }).key}` };
    await request("/v1/auth/password-reset", jsonInit("POST", { email }, clientIp()));
    await runCapturedJobs(bindings);
    await runCapturedJobs(bindings);
    const mail = (await messagesTo(email)).find((message) => message.template === "password_reset")!;
    const token = tokenIn(mail);

    const weak = await request("/v1/auth/password-reset/confirm", jsonInit("POST", { token, password: "short" }));
    expect((await problemOf(weak)).code).toBe("validation_failed");

    const reset = await request(
      "/v1/auth/password-reset/confirm",
      jsonInit("POST", { token, password: NEW_PASSWORD, revokeApiKeys: true }),
    );
    expect(reset.status, await reset.clone().text()).toBe(200);
    expect(await reset.json()).toMatchObject({ revokedSessions: 1, revokedApiKeys: 1 });
    expect((await request("/v1/me", { headers: session.headers })).status).toBe(401);
    expect((await request("/v1/me", { headers: apiKey })).status).toBe(401);
    expect((await signIn(request, email)).status).toBe(401);
    expect((await signIn(request, email, NEW_PASSWORD)).status).toBe(200);

    const reused = await request("/v1/auth/password-reset/confirm", jsonInit("POST", { token, password: "Yet-Another-Pass-77" }));
    expect((await problemOf(reused)).code).toBe("invalid_token");
    await runCapturedJobs(bindings);
    const notice = (await messagesTo(email)).find((message) => message.template === "password_changed");
    expect(notice?.status).toBe("sent");
  });

  it("an expired reset token changes nothing", async () => {
    const bindings = mailboxBindings();
    const { user, email, request } = await register(bindings);
    await request("/v1/auth/password-reset", jsonInit("POST", { email }, clientIp()));
    await runCapturedJobs(bindings);
    await runCapturedJobs(bindings);
    const token = tokenIn((await messagesTo(email)).find((message) => message.template === "password_reset")!);
    await db
      .update(emailTokens)
      .set({ expiresAt: Date.now() - 1 })
      .where(eq(emailTokens.userId, user.id));
    const res = await request("/v1/auth/password-reset/confirm", jsonInit("POST", { token, password: NEW_PASSWORD }));
    expect((await problemOf(res)).code).toBe("invalid_token");
    expect((await signIn(request, email)).status).toBe(200);
  });

  it("is limited per address, however many IPs ask", async () => {
    const request = requestWith(mailboxBindings());
    const email = uniqueEmail("target");
    const statuses: number[] = [];
    for (let i = 0; i < 6; i++) statuses.push((await request("/v1/auth/password-reset", jsonInit("POST", { email }, clientIp()))).status);
    expect(statuses).toEqual([202, 202, 202, 202, 202, 429]);
  });
});

describe("email change", () => {
  it("mails a confirmation to the new address and a notice to the old; the link moves the account", async () => {
    const bindings = mailboxBindings();
    const { email, request } = await register(bindings);
    const session = await signIn(request, email);
    const newEmail = uniqueEmail("moved");

    const wrong = await request(
      "/v1/me/email",
      jsonInit("POST", { newEmail, password: "Wrong-Password-1" }, { ...session.headers, ...clientIp() }),
    );
    expect((await problemOf(wrong)).code).toBe("invalid_credentials");
    const taken = await register(mailboxBindings());
    const clash = await request(
      "/v1/me/email",
      jsonInit("POST", { newEmail: taken.email, password: DEFAULT_TEST_PASSWORD }, { ...session.headers, ...clientIp() }),
    );
    expect(clash.status).toBe(409);

    const asked = await request(
      "/v1/me/email",
      jsonInit("POST", { newEmail, password: DEFAULT_TEST_PASSWORD }, { ...session.headers, ...clientIp() }),
    );
    expect(asked.status, await asked.clone().text()).toBe(202);
    await runCapturedJobs(bindings);
    const confirm = (await messagesTo(newEmail)).find((message) => message.template === "email_change_confirm")!;
    expect((await messagesTo(email)).some((message) => message.template === "email_change_notice")).toBe(true);

    const done = await request("/v1/auth/email-change/confirm", jsonInit("POST", { token: tokenIn(confirm) }));
    expect(done.status, await done.clone().text()).toBe(200);
    expect(((await done.json()) as { user: { email: string; emailVerifiedAt: string | null } }).user).toMatchObject({ email: newEmail });
    expect((await signIn(request, newEmail)).status).toBe(200);
    expect((await signIn(request, email)).status).toBe(401);
    const reused = await request("/v1/auth/email-change/confirm", jsonInit("POST", { token: tokenIn(confirm) }));
    expect((await problemOf(reused)).code).toBe("invalid_token");
  });
});

describe("notification preferences and unsubscribe", () => {
  it("reads the defaults, changes one, and refuses an empty or unknown change", async () => {
    const bindings = mailboxBindings();
    const { email, request } = await register(bindings);
    const session = await signIn(request, email);
    const read = await request("/v1/me/notifications", { headers: session.headers });
    expect(await read.json()).toEqual({ resultReady: true, subjectiveGraded: true, weeklySummary: false });
    const patched = await request("/v1/me/notifications", jsonInit("PATCH", { weeklySummary: true }, session.headers));
    expect(await patched.json()).toEqual({ resultReady: true, subjectiveGraded: true, weeklySummary: true });
    for (const body of [{}, { marketing: true }, { weeklySummary: "yes" }]) {
      expect((await request("/v1/me/notifications", jsonInit("PATCH", body, session.headers))).status).toBe(400);
    }
    expect((await request("/v1/me/notifications")).status).toBe(401);
  });

  it("the one-click link unsubscribes without signing in; its page alone changes nothing; a forged link is refused", async () => {
    const bindings = mailboxBindings();
    const { user, email, request } = await register(bindings);
    const session = await signIn(request, email);
    await request("/v1/me/notifications", jsonInit("PATCH", { weeklySummary: true }, session.headers));
    const { unsubscribeToken } = await import("../../src/lib/email/unsubscribe");
    const { loadConfig } = await import("../../src/config");
    const token = await unsubscribeToken(loadConfig(bindings.env).email.linkSecret, user.id, "weeklySummary");

    const page = await request(`/v1/email/unsubscribe?token=${encodeURIComponent(token)}`);
    expect(page.status).toBe(200);
    expect(page.headers.get("Content-Type")).toContain("text/html");
    expect(await page.text()).toContain('method="post"');
    const prefs = async () =>
      (await (await request("/v1/me/notifications", { headers: session.headers })).json()) as Record<string, boolean>;
    expect((await prefs()).weeklySummary).toBe(true);

    const oneClick = await request(`/v1/email/unsubscribe?token=${encodeURIComponent(token)}`, {
      method: "POST",
      headers: { "Content-Type": "application/x-www-form-urlencoded" },
      body: "List-Unsubscribe=One-Click",
    });
    expect(oneClick.status).toBe(200);
    expect((await prefs()).weeklySummary).toBe(false);

    const forged = `${token.slice(0, -4)}AAAA`;
    const refused = await request(`/v1/email/unsubscribe?token=${encodeURIComponent(forged)}`, { method: "POST" });
    expect((await problemOf(refused)).code).toBe("invalid_token");
    const otherKind = token.replace(".weeklySummary.", ".resultReady.");
    expect((await request(`/v1/email/unsubscribe?token=${encodeURIComponent(otherKind)}`, { method: "POST" })).status).toBe(400);
  });
});

import { describe, expect, it } from "vitest";
import { emailMessages, emailProviderEvents, emailTokens } from "../../src/db/schema";
import { newId } from "../../src/lib/ids";
import { runCron, WEEKLY_CRON } from "../../workers/cron";
import { createUser, uniqueEmail } from "../helpers/auth";
import { DAY_MS, runRetention, surviving } from "../retention/support";
import { db, mailboxBindings } from "./helpers";

describe("the weekly cron", () => {
  it("starts the summaries of the week just ended, once however often it fires", async () => {
    const bindings = mailboxBindings();
    const first = (await runCron(WEEKLY_CRON, bindings.env))["queue-weekly-summaries"] as {
      weekStart: string;
      jobId: string;
      created: boolean;
    };
    const again = (await runCron(WEEKLY_CRON, bindings.env))["queue-weekly-summaries"] as typeof first;
    expect(first.weekStart).toMatch(/^\d{4}-\d{2}-\d{2}$/);
    expect(new Date(`${first.weekStart}T00:00:00Z`).getUTCDay()).toBe(1);
    expect(Date.now() - Date.parse(first.weekStart)).toBeGreaterThanOrEqual(7 * DAY_MS);
    expect(again).toMatchObject({ jobId: first.jobId, created: false });
  });
});

describe("email retention", () => {
  it("drops messages past EMAIL_RETENTION_DAYS, tokens a day past expiry and old provider event ids", async () => {
    const now = Date.now();
    const { user } = await createUser();
    const message = (ageDays: number) => ({
      id: newId("email", now - ageDays * DAY_MS),
      template: "welcome",
      category: "transactional" as const,
      toAddress: uniqueEmail("old"),
      subject: "Welcome",
      createdAt: now - ageDays * DAY_MS,
      updatedAt: now - ageDays * DAY_MS,
    });
    const token = (expiredDaysAgo: number) => ({
      id: newId("emailToken", now),
      userId: user.id,
      purpose: "verify_email" as const,
      tokenHash: crypto.randomUUID(),
      email: user.email,
      expiresAt: now - expiredDaysAgo * DAY_MS,
      createdAt: now - 3 * DAY_MS,
    });
    const [oldMessage, recentMessage] = [message(91), message(89)];
    const [deadToken, freshToken] = [token(2), token(-1)];
    const [oldEvent, recentEvent] = [`msg_${crypto.randomUUID()}`, `msg_${crypto.randomUUID()}`];
    await db.insert(emailMessages).values([oldMessage, recentMessage]);
    await db.insert(emailTokens).values([deadToken, freshToken]);
    await db.insert(emailProviderEvents).values([
      { id: oldEvent, type: "email.delivered", receivedAt: now - 2 * DAY_MS },
      { id: recentEvent, type: "email.delivered", receivedAt: now },
    ]);

    await runRetention();
    expect(await surviving("email_messages", "id", [oldMessage.id, recentMessage.id])).toEqual([recentMessage.id]);
    expect(await surviving("email_tokens", "id", [deadToken.id, freshToken.id])).toEqual([freshToken.id]);
    expect(await surviving("email_provider_events", "id", [oldEvent, recentEvent])).toEqual([recentEvent]);
  });
});

describe("configuration", () => {
  it("EMAIL_LINK_SECRET is required in staging and production; the provider settings are checked", async () => {
    const { loadConfig, ConfigError } = await import("../../src/config");
    const { env } = await import("cloudflare:workers");
    const deployed = {
      ...env,
      ENVIRONMENT: "production",
      DEVICE_TOKEN_SECRET: "d".repeat(32),
      EXPORT_LINK_SECRET: "x".repeat(32),
      WEBHOOK_ALLOW_LOOPBACK: "false",
    };
    expect(() => loadConfig({ ...deployed } as never)).toThrow(/EMAIL_LINK_SECRET/);
    expect(() => loadConfig({ ...deployed, EMAIL_LINK_SECRET: "short" } as never)).toThrow(ConfigError);
    const config = loadConfig({ ...deployed, EMAIL_LINK_SECRET: "e".repeat(32) } as never);
    expect(config.email.resend).toBeNull();
    expect(() => loadConfig({ ...env, RESEND_WEBHOOK_SECRET: "not-whsec" } as never)).toThrow(/RESEND_WEBHOOK_SECRET/);
    expect(() => loadConfig({ ...env, REQUIRE_VERIFIED_EMAIL: "api_keys,everything" } as never)).toThrow(/REQUIRE_VERIFIED_EMAIL/);
    const withResend = loadConfig({ ...env, RESEND_API_KEY: "re_live_0123456789", RESEND_BASE_URL: "https://api.resend.com/" } as never);
    expect(withResend.email.resend).toEqual({ apiKey: "re_live_0123456789", baseUrl: "https://api.resend.com" });
  });
});

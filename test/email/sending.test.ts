import { env } from "cloudflare:workers";
import { eq } from "drizzle-orm";
import { describe, expect, it } from "vitest";
import { loadConfig } from "../../src/config";
import { emailSuppressions, jobs, notificationPreferences, users } from "../../src/db/schema";
import { newId } from "../../src/lib/ids";
import { emailMessageRow, insertMessageStatement, queueEmail } from "../../src/lib/email/outbox";
import { createUser, uniqueEmail } from "../helpers/auth";
import { jobRow } from "../jobs/helpers";
import {
  db,
  drainEmailJobs,
  mailboxBindings,
  messageRow,
  resendBindings,
  resendReceived,
  runCapturedJobs,
  type EmailBindings,
} from "./helpers";

async function queueWelcome(bindings: EmailBindings, to = uniqueEmail("mail"), userId: string | null = null) {
  const message = await queueEmail(bindings.env, db, loadConfig(bindings.env), { template: "welcome", to, userId, data: { name: "Ada" } });
  return message!;
}

describe("the local mailbox (no provider key)", () => {
  it("stores the rendered message and marks it sent by the mailbox", async () => {
    const bindings = mailboxBindings();
    const queued = await queueWelcome(bindings);
    expect(queued.status).toBe("queued");
    expect(await runCapturedJobs(bindings)).toBe(1);
    const row = await messageRow(queued.id);
    expect(row).toMatchObject({ status: "sent", provider: "mailbox", attempts: 1 });
    expect(row.html).toContain("Ada");
    expect(row.text).toContain("Ada");
  });
});

describe("sending through Resend", () => {
  it("posts the message with the key, an idempotency key and both bodies, and records Resend's id", async () => {
    const bindings = resendBindings();
    const queued = await queueWelcome(bindings);
    await runCapturedJobs(bindings);
    const [request, ...more] = await resendReceived(bindings.resendUrl!);
    expect(more).toHaveLength(0);
    expect(request!.path.endsWith("/emails")).toBe(true);
    expect(request!.headers.authorization).toBe("Bearer re_test_0123456789");
    expect(request!.headers["idempotency-key"]).toBe(queued.id);
    const body = JSON.parse(request!.body);
    expect(body).toMatchObject({ to: [queued.toAddress], subject: queued.subject, from: loadConfig(env).email.from });
    expect(body.html).toContain("<html");
    expect(body.text.length).toBeGreaterThan(0);
    const row = await messageRow(queued.id);
    expect(row).toMatchObject({ status: "sent", provider: "resend", attempts: 1, lastError: null });
    expect(row.providerMessageId).toMatch(/^[0-9a-f-]{36}$/);
  });

  it("a retried job sends nothing twice: the message is sent once however often its job runs", async () => {
    const bindings = resendBindings();
    const queued = await queueWelcome(bindings);
    const [message] = bindings.sent;
    await runCapturedJobs(bindings);
    // The same queue message delivered again (Queues delivers at least once).
    bindings.sent.push(message!);
    await runCapturedJobs(bindings);
    expect(await resendReceived(bindings.resendUrl!)).toHaveLength(1);
    expect((await messageRow(queued.id)).attempts).toBe(1);
  });

  it("429 then success: retried with backoff, the same Idempotency-Key both times", async () => {
    const bindings = resendBindings("status-times/429/1");
    const queued = await queueWelcome(bindings);
    const [message] = bindings.sent;
    await runCapturedJobs(bindings);
    let row = await messageRow(queued.id);
    expect(row).toMatchObject({ status: "queued", attempts: 1 });
    expect(row.lastError).toContain("429");
    const job = await jobRow(message!.body.jobId);
    expect(job.status).toBe("DELAYED");

    // The retry (Queues redelivers after the backoff; the test does not wait for it).
    await db.update(jobs).set({ scheduledFor: Date.now() }).where(eq(jobs.id, job.id));
    bindings.sent.push(message!);
    await runCapturedJobs(bindings);
    const requests = await resendReceived(bindings.resendUrl!);
    expect(requests).toHaveLength(2);
    expect(new Set(requests.map((r) => r.headers["idempotency-key"]))).toEqual(new Set([queued.id]));
    row = await messageRow(queued.id);
    expect(row).toMatchObject({ status: "sent", attempts: 2, lastError: null });
    expect((await jobRow(job.id)).status).toBe("COMPLETED");
  });

  it("a permanent refusal (422) fails the message and its job at once, without retrying", async () => {
    const bindings = resendBindings("status/422");
    const queued = await queueWelcome(bindings);
    const [message] = bindings.sent;
    await runCapturedJobs(bindings);
    const row = await messageRow(queued.id);
    expect(row.status).toBe("failed");
    expect(row.lastError).toContain("422");
    expect((await jobRow(message!.body.jobId)).status).toBe("FAILED");
    expect(await resendReceived(bindings.resendUrl!)).toHaveLength(1);
  });

  it("5xx on the last attempt marks the message failed", async () => {
    const bindings = resendBindings("status/503");
    const queued = await queueWelcome(bindings);
    const [message] = bindings.sent;
    await db.update(jobs).set({ attempts: 7 }).where(eq(jobs.id, message!.body.jobId)); // 8 allowed: this is the last
    await runCapturedJobs(bindings);
    expect((await messageRow(queued.id)).status).toBe("failed");
    expect((await jobRow(message!.body.jobId)).status).toBe("FAILED");
  });

  it("does not keep the body of a mail that carried a secret link once Resend accepted it", async () => {
    const bindings = resendBindings();
    const config = loadConfig(bindings.env);
    const user = await createUser();
    const message = await queueEmail(bindings.env, db, config, {
      template: "verify_email",
      to: user.user.email,
      userId: user.user.id,
      data: { name: "Ada", verifyUrl: `${config.email.appUrl}/verify-email?token=et_secret`, expiresInHours: 24 },
    });
    await runCapturedJobs(bindings);
    const row = await messageRow(message!.id);
    expect(row.status).toBe("sent");
    expect(row.html).toBeNull();
    expect(row.text).toBeNull();
    const [request] = await resendReceived(bindings.resendUrl!);
    expect(request!.body).toContain("et_secret");
  });
});

describe("suppression", () => {
  it("a suppressed address is not sent to: the message is marked suppressed", async () => {
    const bindings = resendBindings();
    const to = uniqueEmail("bounced");
    await db.insert(emailSuppressions).values({ email: to, reason: "hard_bounce", createdAt: Date.now() });
    const queued = await queueWelcome(bindings, to);
    await runCapturedJobs(bindings);
    expect((await messageRow(queued.id)).status).toBe("suppressed");
    expect(await resendReceived(bindings.resendUrl!)).toHaveLength(0);
  });
});

describe("notifications and preferences", () => {
  it("a notification carries one-click unsubscribe headers; one the user turned off is not queued", async () => {
    const bindings = mailboxBindings();
    const config = loadConfig(bindings.env);
    const { user } = await createUser();
    const data = { name: "Ada", testTitle: "Mock 1", questionExcerpt: "Explain", marks: 3, maxMarks: 5, resultUrl: "https://app.test/a" };
    const message = await queueEmail(bindings.env, db, config, { template: "subjective_graded", to: user.email, userId: user.id, data });
    expect(message!.headers["List-Unsubscribe-Post"]).toBe("List-Unsubscribe=One-Click");
    expect(message!.headers["List-Unsubscribe"]).toMatch(/^<http:\/\/127\.0\.0\.1:8787\/v1\/email\/unsubscribe\?token=usr_/);
    expect(message!.html).toContain("/v1/email/unsubscribe?token=");

    await db.insert(notificationPreferences).values({ userId: user.id, subjectiveGraded: false, updatedAt: Date.now() });
    expect(await queueEmail(bindings.env, db, config, { template: "subjective_graded", to: user.email, userId: user.id, data })).toBeNull();
  });
});

describe("the weekly summary", () => {
  it("goes to opted-in users only, in one batch call", async () => {
    const bindings = resendBindings();
    const optedIn = await Promise.all([createUser(), createUser()]);
    const optedOut = await createUser();
    const now = Date.now();
    for (const { user } of optedIn)
      await db.insert(notificationPreferences).values({ userId: user.id, weeklySummary: true, updatedAt: now });
    await db.insert(notificationPreferences).values({ userId: optedOut.user.id, weeklySummary: false, updatedAt: now });
    const { enqueue } = await import("../../src/lib/queue");
    // Every opted-in user of the whole test database is in this run; the week is unique to this test.
    const weekStart = "2001-01-01";
    await enqueue(bindings.env, "email.weekly_summary", { weekStart });
    await drainEmailJobs(bindings);
    const requests = await resendReceived(bindings.resendUrl!);
    const batches = requests.filter((r) => r.path.endsWith("/emails/batch"));
    const recipients = batches.flatMap((r) => (JSON.parse(r.body) as { to: string[] }[]).map((m) => m.to[0]));
    for (const { user } of optedIn) expect(recipients).toContain(user.email);
    expect(recipients).not.toContain(optedOut.user.email);
    expect(requests.filter((r) => r.path.endsWith("/emails"))).toHaveLength(0);
    const batch = JSON.parse(batches[0]!.body) as { headers: Record<string, string> }[];
    expect(batch[0]!.headers["List-Unsubscribe-Post"]).toBe("List-Unsubscribe=One-Click");

    // The cron firing twice (or a page re-run) queues nothing again.
    await enqueue(bindings.env, "email.weekly_summary", { weekStart });
    await drainEmailJobs(bindings);
    expect((await resendReceived(bindings.resendUrl!)).length).toBe(requests.length);
  });

  it("pages of 100 recipients go out as full batch calls (D1's 100-parameter limit is not in the way)", async () => {
    const bindings = resendBindings();
    const now = Date.now();
    const crowd = Array.from({ length: 130 }, (_, i) => ({ id: newId("user", now + i), email: uniqueEmail(`crowd${i}`) }));
    for (const user of crowd) {
      await db.insert(users).values({ ...user, name: "Crowd", passwordHash: "x", createdAt: now, updatedAt: now });
      await db.insert(notificationPreferences).values({ userId: user.id, weeklySummary: true, updatedAt: now });
    }
    const { enqueue } = await import("../../src/lib/queue");
    await enqueue(bindings.env, "email.weekly_summary", { weekStart: "2001-01-08" });
    await drainEmailJobs(bindings);
    const batches = (await resendReceived(bindings.resendUrl!)).map((r) => JSON.parse(r.body) as { to: string[] }[]);
    expect(batches.map((batch) => batch.length)).toContain(100);
    const recipients = new Set(batches.flat().map((message) => message.to[0]));
    for (const user of crowd) expect(recipients).toContain(user.email);
  });

  it("a batch Resend refuses as a whole is split: each message is sent alone, so only a bad one fails", async () => {
    const bindings = resendBindings("status-times/422/1");
    const config = loadConfig(bindings.env);
    const rows = await Promise.all(
      [0, 1, 2].map((i) =>
        emailMessageRow(config, { template: "welcome", to: uniqueEmail(`split${i}`), userId: null, data: { name: "Ada" } }),
      ),
    );
    await db.batch([insertMessageStatement(db, rows[0]!), insertMessageStatement(db, rows[1]!), insertMessageStatement(db, rows[2]!)]);
    const { enqueue } = await import("../../src/lib/queue");
    await enqueue(bindings.env, "email.send_batch", { messageIds: rows.map((row) => row.id) });
    await drainEmailJobs(bindings);
    const requests = await resendReceived(bindings.resendUrl!);
    expect(requests.filter((r) => r.path.endsWith("/emails/batch"))).toHaveLength(1);
    expect(requests.filter((r) => r.path.endsWith("/emails"))).toHaveLength(3);
    // The receiver refuses the first request to each path: the first lone message is the "bad" one.
    const statuses = await Promise.all(rows.map(async (row) => (await messageRow(row.id)).status));
    expect(statuses.filter((status) => status === "sent")).toHaveLength(2);
    expect(statuses.filter((status) => status === "failed")).toHaveLength(1);
  });
});

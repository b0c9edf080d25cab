import { eq, like } from "drizzle-orm";
import { beforeAll, describe, expect, it, vi } from "vitest";
import { emailMessages, events, notificationPreferences, type EventType } from "../../src/db/schema";
import type { EventData } from "../../src/lib/events/catalogue";
import { loadConfig } from "../../src/config";
import { emailSubscriber } from "../../src/lib/email/subscriber";
import { mailForEvent } from "../../src/lib/email/triggers";
import { createUser, type TestUser } from "../helpers/auth";
import { call, sendJson } from "../helpers/http";
import { dispatcher, emitEvent } from "../events/helpers";
import { receiverUrl } from "../webhooks/helpers";
import { createFullTest, json, startAttempt, submit } from "../exam/fixtures";
import { settleScoring } from "../jobs/helpers";
import { db, drainEmailJobs, mailboxBindings } from "./helpers";

let admin: TestUser;
let instructor: TestUser;
let student: TestUser;

beforeAll(async () => {
  [admin, instructor, student] = await Promise.all([createUser({ role: "admin" }), createUser({ role: "instructor" }), createUser()]);
});

/** Emits an event, runs the email subscriber on it, then the mail jobs; returns the mail it caused. */
async function mailOf<T extends EventType>(type: T, data: EventData<T>) {
  const { event } = await emitEvent(type, data);
  const bindings = mailboxBindings();
  await dispatcher([emailSubscriber], { env: bindings.env, sent: bindings.sent }).run(event.id);
  await drainEmailJobs(bindings);
  return db
    .select()
    .from(emailMessages)
    .where(like(emailMessages.dedupeKey, `${event.id}:%`));
}

async function scoredAttempt() {
  const { test, ids } = await createFullTest(instructor.headers, { title: "Mock <Algebra> 1" });
  const attempt = await startAttempt(student.headers, test.id);
  expect((await submit(student.headers, attempt.id)).status).toBe(202);
  await settleScoring(attempt.id);
  return { test, ids, attempt };
}

describe("attempt events", () => {
  it("a scored attempt mails its result with the sections; a re-score does not mail again", async () => {
    const { test, attempt } = await scoredAttempt();
    const data = {
      attemptId: attempt.id,
      testId: test.id,
      userId: student.user.id,
      score: 7.5,
      maxScore: 20,
      provisional: true,
      rescored: false,
    };
    const [mail, ...more] = await mailOf("attempt.scored", data);
    expect(more).toHaveLength(0);
    expect(mail).toMatchObject({ template: "result_ready", toAddress: student.user.email, status: "sent", category: "notification" });
    expect(mail!.subject).toContain("Mock <Algebra> 1");
    expect(mail!.html).toContain("Mock &lt;Algebra&gt; 1");
    expect(mail!.text).toContain("Section 1");
    expect(mail!.text).toContain("Section 2");
    expect(await mailOf("attempt.scored", { ...data, rescored: true })).toHaveLength(0);
  });

  it("a graded answer mails the grade with an excerpt of the question; a student who turned it off gets nothing", async () => {
    const { test, ids, attempt } = await scoredAttempt();
    const data = {
      attemptId: attempt.id,
      testId: test.id,
      userId: student.user.id,
      questionId: ids.SUBJECTIVE,
      gradedMarks: 3,
      gradedBy: instructor.user.id,
    };
    const [mail] = await mailOf("attempt.graded", data);
    expect(mail).toMatchObject({ template: "subjective_graded", toAddress: student.user.email });
    expect(mail!.text).not.toMatch(/<\/?p>/);

    await db
      .insert(notificationPreferences)
      .values({ userId: student.user.id, subjectiveGraded: false, updatedAt: Date.now() })
      .onConflictDoUpdate({ target: notificationPreferences.userId, set: { subjectiveGraded: false } });
    expect(await mailOf("attempt.graded", data)).toHaveLength(0);
  });
});

describe("exactly once", () => {
  it("an event handled again (a retried delivery) queues no second message", async () => {
    const hook = await json(await sendJson("/v1/webhooks", "POST", { url: receiverUrl() }, instructor.headers));
    const { event } = await emitEvent("webhook.disabled", { webhookId: hook.id, url: hook.url, reason: "failing", failingSince: null });
    const bindings = mailboxBindings();
    const config = loadConfig(bindings.env);
    expect(await mailForEvent(bindings.env, db, config, event)).toBe(1);
    expect(await mailForEvent(bindings.env, db, config, event)).toBe(0);
    expect(
      await db
        .select()
        .from(emailMessages)
        .where(like(emailMessages.dedupeKey, `${event.id}:%`)),
    ).toHaveLength(1);
  });
});

describe("billing events", () => {
  it("a recorded payment mails a receipt; a declined one (recorded by an admin) mails a payment-failed notice", async () => {
    const plan = await json(
      await sendJson("/v1/plans", "POST", { name: "Pro", priceCents: 49_900, currency: "INR", intervalMonths: 1 }, admin.headers),
    );
    const subscription = await json(await sendJson("/v1/subscriptions", "POST", { planId: plan.id }, student.headers));

    const declined = await sendJson(
      `/v1/subscriptions/${subscription.id}/payment-failures`,
      "POST",
      { reason: "Card declined" },
      admin.headers,
    );
    expect(declined.status, await declined.clone().text()).toBe(202);
    const event = await db.select().from(events).where(eq(events.aggregateId, subscription.id)).get();
    expect(event).toMatchObject({ type: "payment.failed", payload: { reason: "Card declined", amountCents: 49_900 } });
    expect((await sendJson(`/v1/subscriptions/${subscription.id}/payment-failures`, "POST", { reason: "x" }, student.headers)).status).toBe(
      403,
    );
    expect((await sendJson(`/v1/subscriptions/${subscription.id}/payment-failures`, "POST", {}, admin.headers)).status).toBe(400);

    const failure = {
      subscriptionId: subscription.id,
      userId: student.user.id,
      amountCents: 49_900,
      currency: "INR",
      reason: "Card declined",
    };
    const [failedMail] = await mailOf("payment.failed", failure);
    expect(failedMail).toMatchObject({ template: "payment_failed", toAddress: student.user.email });
    expect(failedMail!.text).toContain("Card declined");

    expect((await call(`/v1/subscriptions/${subscription.id}/activate`, { method: "POST", headers: admin.headers })).status).toBe(200);
    const payment = { subscriptionId: subscription.id, userId: student.user.id, amountCents: 49_900, currency: "INR", method: "manual" };
    const [receipt] = await mailOf("payment.succeeded", payment);
    expect(receipt).toMatchObject({ template: "subscription_receipt", toAddress: student.user.email });
    expect(receipt!.text).toContain("Pro");
    expect(
      (await sendJson(`/v1/subscriptions/${subscription.id}/payment-failures`, "POST", { reason: "late" }, admin.headers)).status,
    ).toBe(409);
  });
});

describe("account and platform events", () => {
  it("a disabled webhook mails its owner", async () => {
    const hook = await json(await sendJson("/v1/webhooks", "POST", { url: receiverUrl() }, instructor.headers));
    const [mail] = await mailOf("webhook.disabled", { webhookId: hook.id, url: hook.url, reason: "gone", failingSince: null });
    expect(mail).toMatchObject({ template: "webhook_disabled", toAddress: instructor.user.email });
  });

  it("a sign-in from a new device emits its event, which mails the owner", async () => {
    const user = await createUser();
    const login = await sendJson(
      "/v1/auth/login",
      "POST",
      { email: user.user.email, password: user.password },
      {
        "User-Agent": "A brand new browser/1.0",
        "CF-Connecting-IP": "203.0.113.77",
      },
    );
    expect(login.status).toBe(200);
    // Detection runs after the response (waitUntil).
    const signIn = await vi.waitUntil(
      async () =>
        (await db.select().from(events).where(eq(events.aggregateId, user.user.id))).find((row) => row.type === "user.new_device_sign_in"),
      { timeout: 5000, interval: 50 },
    );
    expect(signIn?.payload).toMatchObject({
      userId: user.user.id,
      ip: "203.0.113.77",
      userAgent: "A brand new browser/1.0",
      newDevice: true,
    });
    const [mail] = await mailOf("user.new_device_sign_in", signIn!.payload as EventData<"user.new_device_sign_in">);
    expect(mail).toMatchObject({ template: "new_device_sign_in", toAddress: user.user.email });
    expect(mail!.text).toContain("203.0.113.77");
  });
});

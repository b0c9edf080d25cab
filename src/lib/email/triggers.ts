import { eq } from "drizzle-orm";
import type { Config } from "../../config";
import type { Database } from "../../db";
import { attempts, plans, questions, subscriptions, tests, users, webhooks, type DomainEvent, type EventType } from "../../db/schema";
import type { Env } from "../../env";
import type { EventData } from "../events/catalogue";
import { htmlToPlainText, truncate } from "../plain-text";
import { emailLinks } from "./links";
import { queueEmail, queueTokenEmail } from "./outbox";
import type { EmailTemplateName } from "./templates";
import { EMAIL_TOKEN_LIFETIME_MS } from "./tokens";

interface Recipient {
  id: string;
  email: string;
  name: string;
  emailVerifiedAt: number | null;
}

/** One mail an event causes: to which account, which template, and its data once the recipient is read. */
interface Mail {
  userId: string;
  template: Exclude<EmailTemplateName, "verify_email">;
  data: (user: Recipient) => unknown;
}

interface TriggerContext {
  db: Database;
  config: Config;
  event: DomainEvent;
}

/** The mail an event causes (none when there is nothing to say, or what it is about is gone). */
type Trigger<T extends EventType> = (ctx: TriggerContext, data: EventData<T>) => Promise<Mail[]>;

const EXCERPT_CHARS = 200;

/** The verification mail, by itself: registration sends it, and so does POST /v1/auth/verify-email/resend. */
export function verificationEmail(config: Config, user: { id: string; email: string; name: string }, dedupeKey?: string) {
  return {
    template: "verify_email" as const,
    purpose: "verify_email" as const,
    to: user.email,
    userId: user.id,
    dedupeKey,
    data: (token: string) => ({
      name: user.name,
      verifyUrl: emailLinks(config).verifyEmail(token),
      expiresInHours: EMAIL_TOKEN_LIFETIME_MS.verify_email / 3_600_000,
    }),
  };
}

// Registration: the verification link (in onEvent, it needs a token) and a welcome.
const onRegistered: Trigger<"user.registered"> = async (_ctx, data) => [
  { userId: data.userId, template: "welcome", data: (user) => ({ name: user.name }) },
];

const onScored: Trigger<"attempt.scored"> = async ({ db, config }, data) => {
  if (data.rescored) return []; // the first result was mailed; a grader's change mails its own notice
  const [attempt, test] = await Promise.all([
    db.select({ result: attempts.result }).from(attempts).where(eq(attempts.id, data.attemptId)).get(),
    db.select({ title: tests.title }).from(tests).where(eq(tests.id, data.testId)).get(),
  ]);
  if (!test) return [];
  const sections = (attempt?.result?.sections ?? []).slice(0, 50).map(({ title, score, maxScore }) => ({ title, score, maxScore }));
  return [
    {
      userId: data.userId,
      template: "result_ready",
      data: (user) => ({
        name: user.name,
        testTitle: test.title,
        score: data.score,
        maxScore: data.maxScore,
        percentage: data.maxScore > 0 ? Math.round((data.score / data.maxScore) * 1000) / 10 : 0,
        provisional: data.provisional,
        sections,
        resultUrl: emailLinks(config).attemptResult(data.attemptId),
      }),
    },
  ];
};

const onGraded: Trigger<"attempt.graded"> = async ({ db, config }, data) => {
  const [test, question] = await Promise.all([
    db.select({ title: tests.title }).from(tests).where(eq(tests.id, data.testId)).get(),
    db.select({ body: questions.body, marks: questions.marks }).from(questions).where(eq(questions.id, data.questionId)).get(),
  ]);
  if (!test || !question) return [];
  return [
    {
      userId: data.userId,
      template: "subjective_graded",
      data: (user) => ({
        name: user.name,
        testTitle: test.title,
        questionExcerpt: truncate(htmlToPlainText(question.body), EXCERPT_CHARS),
        marks: data.gradedMarks,
        maxMarks: question.marks,
        resultUrl: emailLinks(config).attemptResult(data.attemptId),
      }),
    },
  ];
};

const subscriptionOf = (db: Database, subscriptionId: string) =>
  db
    .select({ id: subscriptions.id, planName: plans.name, startsAt: subscriptions.startsAt, endsAt: subscriptions.endsAt })
    .from(subscriptions)
    .innerJoin(plans, eq(plans.id, subscriptions.planId))
    .where(eq(subscriptions.id, subscriptionId))
    .get();

const onPaymentSucceeded: Trigger<"payment.succeeded"> = async ({ db, event }, data) => {
  const subscription = await subscriptionOf(db, data.subscriptionId);
  if (!subscription) return [];
  const instant = (at: number | null) => new Date(at ?? event.createdAt).toISOString();
  return [
    {
      userId: data.userId,
      template: "subscription_receipt",
      data: (user) => ({
        name: user.name,
        planName: subscription.planName,
        amountCents: data.amountCents,
        currency: data.currency,
        method: data.method,
        subscriptionId: subscription.id,
        startsAt: instant(subscription.startsAt),
        endsAt: instant(subscription.endsAt),
      }),
    },
  ];
};

const onPaymentFailed: Trigger<"payment.failed"> = async ({ db, config }, data) => {
  const subscription = await subscriptionOf(db, data.subscriptionId);
  if (!subscription) return [];
  return [
    {
      userId: data.userId,
      template: "payment_failed",
      data: (user) => ({
        name: user.name,
        planName: subscription.planName,
        amountCents: data.amountCents,
        currency: data.currency,
        reason: data.reason,
        retryUrl: emailLinks(config).billing(),
      }),
    },
  ];
};

const onWebhookDisabled: Trigger<"webhook.disabled"> = async ({ db, config }, data) => {
  const webhook = await db.select({ ownerId: webhooks.ownerId }).from(webhooks).where(eq(webhooks.id, data.webhookId)).get();
  if (!webhook) return [];
  return [
    {
      userId: webhook.ownerId,
      template: "webhook_disabled",
      data: (user) => ({
        name: user.name,
        url: data.url,
        reason: data.reason,
        failingSince: data.failingSince,
        webhookId: data.webhookId,
        manageUrl: emailLinks(config).webhook(data.webhookId),
      }),
    },
  ];
};

const onNewDevice: Trigger<"user.new_device_sign_in"> = async (_ctx, data) => [
  {
    userId: data.userId,
    template: "new_device_sign_in",
    data: (user) => ({
      name: user.name,
      signedInAt: data.signedInAt,
      ip: data.ip,
      userAgent: data.userAgent,
      location: [data.city, data.country].filter(Boolean).join(", ") || null,
    }),
  },
];

/** The mail each event type causes. An event type not here sends nothing. */
export const EMAIL_TRIGGERS: { [T in EventType]?: Trigger<T> } = {
  "user.registered": onRegistered,
  "attempt.scored": onScored,
  "attempt.graded": onGraded,
  "payment.succeeded": onPaymentSucceeded,
  "payment.failed": onPaymentFailed,
  "webhook.disabled": onWebhookDisabled,
  "user.new_device_sign_in": onNewDevice,
};

/**
 * Queues the mail an event causes, each message keyed `<event id>:<template>` so a delivery that runs
 * again queues nothing twice. A deleted recipient gets nothing. Returns how many messages were queued.
 */
export async function mailForEvent(env: Env, db: Database, config: Config, event: DomainEvent): Promise<number> {
  const trigger = EMAIL_TRIGGERS[event.type] as Trigger<EventType> | undefined;
  if (!trigger) return 0;
  const key = (template: EmailTemplateName) => `${event.id}:${template}`;
  let queued = 0;
  for (const mail of await trigger({ db, config, event }, event.payload as EventData<EventType>)) {
    const user = await db
      .select({ id: users.id, email: users.email, name: users.name, emailVerifiedAt: users.emailVerifiedAt })
      .from(users)
      .where(eq(users.id, mail.userId))
      .get();
    if (!user) continue;
    if (event.type === "user.registered" && user.emailVerifiedAt === null) {
      if (await queueTokenEmail(env, db, config, verificationEmail(config, user, key("verify_email")))) queued++;
    }
    const message = { template: mail.template, to: user.email, userId: user.id, data: mail.data(user), dedupeKey: key(mail.template) };
    if (await queueEmail(env, db, config, message)) queued++;
  }
  return queued;
}

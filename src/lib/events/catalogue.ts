import { z } from "zod";
import type { EventType } from "../../db/schema";

const id = (prefix: string) => z.string().startsWith(`${prefix}_`);
const instant = z.iso.datetime();
/** What a question event says about the question: created and updated carry the same fields. */
const questionPayload = z.strictObject({
  questionId: id("qst"),
  authorId: id("usr"),
  type: z.string(),
  subject: z.string(),
  topic: z.string().nullable(),
  difficulty: z.string(),
});

/** What a test event says about the test: created and updated carry the same fields. */
const testPayload = z.strictObject({ testId: id("tst"), authorId: id("usr"), title: z.string(), published: z.boolean() });

/** What every export event says about the export. */
const exportPayload = z.strictObject({ exportId: id("exp"), ownerId: id("usr"), kind: z.string(), format: z.string() });

/**
 * Every event type: the version of its payload, the kind of resource it is about (`aggregate`) and
 * the payload's schema. Within a version, fields are only ever added; removing or changing a field
 * means a new version (documented in docs/events.md). The builder validates every payload here, so a
 * subscriber or webhook receiver only ever sees the documented shape.
 */
export const EVENT_CATALOGUE = {
  "user.registered": {
    version: 1,
    aggregate: "user",
    description: "An account was created.",
    schema: z.strictObject({ userId: id("usr"), email: z.string(), name: z.string(), role: z.enum(["student", "instructor", "admin"]) }),
  },
  "user.email_verified": {
    version: 1,
    aggregate: "user",
    description: "A user proved they read mail at their address (a verification or email-change link).",
    schema: z.strictObject({ userId: id("usr"), email: z.string(), verifiedAt: instant }),
  },
  "user.new_device_sign_in": {
    version: 1,
    aggregate: "user",
    description: "A user signed in from a device or network their recent sign-ins never used.",
    schema: z.strictObject({
      userId: id("usr"),
      signedInAt: instant,
      ip: z.string().nullable(),
      userAgent: z.string().nullable(),
      country: z.string().nullable(),
      city: z.string().nullable(),
      newDevice: z.boolean(),
      newCountry: z.boolean(),
    }),
  },
  "test.created": {
    version: 1,
    aggregate: "test",
    description: "A test was created (published or as a draft).",
    schema: testPayload,
  },
  "test.updated": {
    version: 1,
    aggregate: "test",
    description: "A test's title, description, settings or sections changed.",
    schema: testPayload,
  },
  "test.deleted": {
    version: 1,
    aggregate: "test",
    description: "A test was removed.",
    schema: z.strictObject({ testId: id("tst"), authorId: id("usr") }),
  },
  "test.published": {
    version: 1,
    aggregate: "test",
    description: "A test became available to candidates.",
    schema: z.strictObject({ testId: id("tst"), authorId: id("usr"), title: z.string(), publishedAt: instant }),
  },
  "attempt.started": {
    version: 1,
    aggregate: "attempt",
    description: "A candidate started an attempt of a test.",
    schema: z.strictObject({ attemptId: id("att"), testId: id("tst"), userId: id("usr"), startedAt: instant, deadlineAt: instant }),
  },
  "attempt.submitted": {
    version: 1,
    aggregate: "attempt",
    description: "An attempt was submitted, by its candidate or automatically at its deadline.",
    schema: z.strictObject({
      attemptId: id("att"),
      testId: id("tst"),
      userId: id("usr"),
      submittedAt: instant,
      autoSubmitted: z.boolean(),
    }),
  },
  "attempt.scored": {
    version: 1,
    aggregate: "attempt",
    description: "An attempt was scored (again, with `rescored: true`, after a grader changed marks).",
    schema: z.strictObject({
      attemptId: id("att"),
      testId: id("tst"),
      userId: id("usr"),
      score: z.number(),
      maxScore: z.number(),
      provisional: z.boolean(),
      rescored: z.boolean(),
    }),
  },
  "attempt.graded": {
    version: 1,
    aggregate: "attempt",
    description: "A grader gave marks to a subjective answer.",
    schema: z.strictObject({
      attemptId: id("att"),
      testId: id("tst"),
      userId: id("usr"),
      questionId: id("qst"),
      gradedMarks: z.number(),
      gradedBy: id("usr"),
    }),
  },
  "subscription.activated": {
    version: 1,
    aggregate: "subscription",
    description: "A subscription became active.",
    schema: z.strictObject({ subscriptionId: id("sub"), userId: id("usr"), planId: id("pln"), startsAt: instant, endsAt: instant }),
  },
  "subscription.cancelled": {
    version: 1,
    aggregate: "subscription",
    description: "A pending or active subscription was cancelled.",
    schema: z.strictObject({
      subscriptionId: id("sub"),
      userId: id("usr"),
      planId: id("pln"),
      previousStatus: z.enum(["PENDING", "ACTIVE"]),
      couponReleased: z.boolean(),
    }),
  },
  "payment.succeeded": {
    version: 1,
    aggregate: "subscription",
    description: "A subscription's payment was recorded (today: an admin activating it, method `manual`).",
    schema: z.strictObject({
      subscriptionId: id("sub"),
      userId: id("usr"),
      amountCents: z.number().int(),
      currency: z.string(),
      method: z.string(),
    }),
  },
  "payment.failed": {
    version: 1,
    aggregate: "subscription",
    description: "A payment for a pending subscription was declined (recorded by an admin or the payment process).",
    schema: z.strictObject({
      subscriptionId: id("sub"),
      userId: id("usr"),
      amountCents: z.number().int(),
      currency: z.string(),
      reason: z.string(),
    }),
  },
  "coupon.redeemed": {
    version: 1,
    aggregate: "coupon",
    description: "A coupon was applied to a new subscription.",
    schema: z.strictObject({
      couponId: id("cpn"),
      code: z.string(),
      userId: id("usr"),
      subscriptionId: id("sub"),
      discountCents: z.number().int(),
    }),
  },
  "question.created": {
    version: 1,
    aggregate: "question",
    description: "A question was added to the bank.",
    schema: questionPayload,
  },
  "question.updated": {
    version: 1,
    aggregate: "question",
    description: "A question's content changed.",
    schema: questionPayload,
  },
  "question.deleted": {
    version: 1,
    aggregate: "question",
    description: "A question was removed from the bank.",
    schema: z.strictObject({ questionId: id("qst"), authorId: id("usr") }),
  },
  "webhook.test": {
    version: 1,
    aggregate: "webhook",
    description: "Sent by POST /v1/webhooks/:id/test to that endpoint only.",
    schema: z.strictObject({ webhookId: id("whk"), message: z.string() }),
  },
  "webhook.disabled": {
    version: 1,
    aggregate: "webhook",
    description: "An endpoint was disabled: it answered 410 Gone, or every delivery failed for too long.",
    schema: z.strictObject({
      webhookId: id("whk"),
      url: z.string(),
      reason: z.enum(["gone", "failing"]),
      failingSince: instant.nullable(),
    }),
  },
  "export.created": {
    version: 1,
    aggregate: "export",
    description: "An export was requested; its file is produced in the background.",
    schema: exportPayload,
  },
  "export.completed": {
    version: 1,
    aggregate: "export",
    description: "An export's file is ready: its owner can get a download link until it expires.",
    schema: exportPayload.extend({ sizeBytes: z.number().int(), rowCount: z.number().int(), expiresAt: instant }),
  },
  "export.failed": {
    version: 1,
    aggregate: "export",
    description: "An export could not be produced (its error says why); nothing was stored.",
    schema: exportPayload.extend({ error: z.string() }),
  },
} as const satisfies Record<
  EventType,
  { version: number; aggregate: string; description: string; schema: z.ZodType<Record<string, unknown>> }
>;

export type EventData<T extends EventType> = z.input<(typeof EVENT_CATALOGUE)[T]["schema"]>;

/** Where a client reads the resource an event is about (an oversized webhook payload carries this instead of its data). */
export const AGGREGATE_PATHS: Record<string, string> = {
  user: "/v1/admin/users/",
  test: "/v1/tests/",
  attempt: "/v1/attempts/",
  subscription: "/v1/subscriptions/",
  coupon: "/v1/coupons/",
  question: "/v1/questions/",
  webhook: "/v1/webhooks/",
  export: "/v1/exports/",
};

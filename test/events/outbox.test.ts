import { eq, like, sql } from "drizzle-orm";
import { describe, expect, it } from "vitest";
import { eventDeliveries, events, jobs, users } from "../../src/db/schema";
import { clock } from "../../src/lib/clock";
import { eventStatements } from "../../src/lib/events/emit";
import { newId } from "../../src/lib/ids";
import { backoffDelaySeconds } from "../../src/lib/queue/backoff";
import { MAINTENANCE_CRON, runCron } from "../../workers/cron";
import { createUser } from "../helpers/auth";
import { capturingEnv } from "../jobs/helpers";
import { sendJson } from "../helpers/http";
import { db, deliveryRows, dispatcher, emitEvent, eventRow, recordingSubscriber } from "./helpers";

describe("the outbox: an event is written with its change, or not at all", () => {
  it("a failing statement in the batch leaves neither the change, nor its event, nor its dispatch job", async () => {
    const { user } = await createUser();
    const now = clock.now();
    const id = newId("user", now);
    const prepared = eventStatements(db, user.id, {
      type: "user.registered",
      aggregateId: id,
      data: { userId: id, email: "x@example.test", name: "X", role: "student" },
    });
    const change = db.insert(users).values({
      id,
      email: `${id.toLowerCase()}@example.test`,
      name: "X",
      role: "student",
      passwordHash: "h",
      createdAt: now,
      updatedAt: now,
    });
    // The audit row of a change that collides with an existing user's email: the batch fails as a whole.
    const failing = db.insert(users).values({
      id: newId("user", now),
      email: user.email,
      name: "dup",
      role: "student",
      passwordHash: "h",
      createdAt: now,
      updatedAt: now,
    });
    await expect(db.batch([change, ...prepared.statements, failing])).rejects.toThrow();
    expect(await db.select().from(users).where(eq(users.id, id)).get()).toBeUndefined();
    expect(await db.select().from(events).where(eq(events.id, prepared.event.id)).get()).toBeUndefined();
    expect(
      await db
        .select()
        .from(jobs)
        .where(eq(jobs.idempotencyKey, `event:${prepared.event.id}`))
        .get(),
    ).toBeUndefined();
  });

  it("a guarded event lands only when its change does: two concurrent submits give one attempt.submitted", async () => {
    const instructor = await createUser({ role: "instructor" });
    const student = await createUser();
    const question = await sendJson(
      "/v1/questions",
      "POST",
      { type: "MCQ", body: "2+2?", subject: "math", options: ["3", "4"], correctOption: 1, marks: 1 },
      instructor.headers,
    );
    expect(question.status, await question.clone().text()).toBe(201);
    const { id: questionId } = (await question.json()) as { id: string };
    const test = await sendJson(
      "/v1/tests",
      "POST",
      { title: "Outbox", durationMinutes: 10, published: true, sections: [{ title: "S", questionIds: [questionId] }] },
      instructor.headers,
    );
    expect(test.status, await test.clone().text()).toBe(201);
    const { id: testId } = (await test.json()) as { id: string };
    const started = await sendJson(`/v1/tests/${testId}/attempts`, "POST", {}, student.headers);
    const { id: attemptId } = (await started.json()) as { id: string };
    const responses = await Promise.all([0, 1].map(() => sendJson(`/v1/attempts/${attemptId}/submit`, "POST", {}, student.headers)));
    expect(responses.map((r) => r.status).sort()).toEqual([202, 409]);
    const rows = await db.select().from(events).where(sql`${events.aggregateId} = ${attemptId}`);
    expect(rows.map((r) => r.type).sort()).toEqual(["attempt.started", "attempt.submitted"]);
    const submitted = rows.find((r) => r.type === "attempt.submitted")!;
    expect(submitted).toMatchObject({
      ownerId: instructor.user.id,
      actorId: student.user.id,
      version: 1,
      payload: { attemptId, testId, userId: student.user.id, autoSubmitted: false },
    });
    // Each event has its dispatch job, written in the same batch.
    const job = await db
      .select()
      .from(jobs)
      .where(eq(jobs.idempotencyKey, `event:${submitted.id}`))
      .get();
    expect(job).toMatchObject({ type: "event.dispatch", queue: "webhooks", payload: { eventId: submitted.id } });
    // Test, question and publication events carry the author as owner.
    const published = await db.select().from(events).where(sql`${events.aggregateId} = ${testId} and ${events.type} = 'test.published'`);
    expect(published).toHaveLength(1);
    expect(published[0]!.ownerId).toBe(instructor.user.id);
  });

  it("a payload that does not match its catalogue schema is refused before anything is written", () => {
    expect(() =>
      eventStatements(db, null, { type: "question.deleted", aggregateId: "x", data: { questionId: "nope" } as never }),
    ).toThrow();
  });
});

describe("the dispatcher fans out to each subscriber on its own", () => {
  it("one failing subscriber retries alone with backoff; the others run once and are never repeated", async () => {
    let down = true;
    const search = recordingSubscriber("search");
    const email = recordingSubscriber("email", { failing: () => down });
    const billing = recordingSubscriber("billing", { types: ["payment.succeeded"] });
    const { event } = await emitEvent("question.deleted", { questionId: "qst_1", authorId: "usr_1" });
    const run = dispatcher([search.subscriber, email.subscriber, billing.subscriber]);

    const first = await run.run(event.id);
    expect(first.deliveries).toEqual({ search: "SUCCEEDED", email: "RETRYING" });
    expect(first.status).toBe("PROCESSING");
    expect(billing.calls).toHaveLength(0);
    const rows = await deliveryRows(event.id);
    expect(rows.email).toMatchObject({ attempts: 1, lastError: "Error: email is down" });
    const delay = backoffDelaySeconds(1, () => 0.5) * 1000;
    // Measured from when the attempt started; the failure came a few milliseconds later.
    expect(rows.email!.nextAttemptAt! - rows.email!.updatedAt).toBeGreaterThan(delay - 1000);
    expect(rows.email!.nextAttemptAt! - rows.email!.updatedAt).toBeLessThanOrEqual(delay);
    // The retry is its own job, for that subscriber only, delayed by the backoff.
    expect(run.sent).toEqual([
      { binding: "QUEUE_WEBHOOKS", body: { jobId: expect.any(String), type: "event.dispatch" }, delaySeconds: delay / 1000 },
    ]);
    const retryJob = await db.select().from(jobs).where(eq(jobs.id, run.sent[0]!.body.jobId)).get();
    expect(retryJob!.payload).toEqual({ eventId: event.id, subscriber: "email" });

    // Delivered early (before its time), the retry does nothing.
    expect((await run.run(event.id, "email")).deliveries.email).toBe("RETRYING");
    expect(email.calls).toHaveLength(1);

    clock.advance(delay);
    down = false;
    const second = await run.run(event.id, "email");
    expect(second).toMatchObject({ status: "PROCESSED", deliveries: { search: "SUCCEEDED", email: "SUCCEEDED" } });
    expect(email.calls.map((c) => c.attempt)).toEqual([1, 2]);
    expect(search.calls).toHaveLength(1);

    // Redelivery of the whole event, or of one subscriber, is a no-op.
    await run.run(event.id);
    await run.run(event.id, "search");
    expect(search.calls).toHaveLength(1);
    expect(email.calls).toHaveLength(2);
    expect((await eventRow(event.id)).processedAt).not.toBeNull();
  });

  it("a subscriber that keeps failing gives up after its attempts; the event is FAILED with the reason", async () => {
    const flaky = recordingSubscriber("flaky", { failing: () => true });
    flaky.subscriber.retryDelaySeconds = (attempt) => (attempt < 2 ? 1 : null);
    const fine = recordingSubscriber("fine");
    const { event } = await emitEvent("question.deleted", { questionId: "qst_2", authorId: "usr_1" });
    const run = dispatcher([flaky.subscriber, fine.subscriber]);
    await run.run(event.id);
    clock.advance(1000);
    const result = await run.run(event.id, "flaky");
    expect(result).toMatchObject({ status: "FAILED", deliveries: { flaky: "FAILED", fine: "SUCCEEDED" } });
    expect((await eventRow(event.id)).error).toBe("flaky: Error: flaky is down");
    expect(fine.calls).toHaveLength(1);
  });

  it("concurrent deliveries of the same event run each subscriber once", async () => {
    const once = recordingSubscriber("once");
    const { event } = await emitEvent("question.deleted", { questionId: "qst_3", authorId: "usr_1" });
    const run = dispatcher([once.subscriber]);
    await Promise.all([run.run(event.id), run.run(event.id), run.run(event.id)]);
    expect(once.calls).toHaveLength(1);
    expect((await eventRow(event.id)).status).toBe("PROCESSED");
  });

  it("an event no subscriber wants is PROCESSED; a pruned event is reported missing", async () => {
    const { event } = await emitEvent("question.deleted", { questionId: "qst_4", authorId: "usr_1" });
    expect((await dispatcher([]).run(event.id)).status).toBe("PROCESSED");
    expect((await dispatcher([]).run("evt_01JD0000000000000000000000")).status).toBe("missing");
  });
});

describe("the maintenance cron re-sends what was left undispatched", () => {
  it("an event whose dispatch job failed is dispatched again; a delivery stuck mid-attempt is retried", async () => {
    const { event } = await emitEvent("question.deleted", { questionId: "qst_5", authorId: "usr_1" });
    await db
      .update(jobs)
      .set({ status: "FAILED" })
      .where(eq(jobs.idempotencyKey, `event:${event.id}`));
    const stuck = await emitEvent("question.deleted", { questionId: "qst_6", authorId: "usr_1" });
    await db.insert(eventDeliveries).values({
      eventId: stuck.event.id,
      subscriber: "search",
      status: "PROCESSING",
      attempts: 1,
      createdAt: clock.now(),
      updatedAt: clock.now(),
    });

    const early = capturingEnv();
    await runCron(MAINTENANCE_CRON, early.env);
    expect(
      await db
        .select()
        .from(jobs)
        .where(like(jobs.idempotencyKey, `event:${event.id}:redispatch:%`)),
    ).toHaveLength(0);

    clock.advance(16 * 60_000);
    const captured = capturingEnv();
    const outcome = await runCron(MAINTENANCE_CRON, captured.env);
    expect(outcome["redispatch-events"]).toMatchObject({ undispatched: expect.any(Number), stuck: expect.any(Number) });
    const again = await db
      .select()
      .from(jobs)
      .where(like(jobs.idempotencyKey, `event:${event.id}:redispatch:%`));
    expect(again).toHaveLength(1);
    expect(captured.sent.map((m) => m.body.jobId)).toContain(again[0]!.id);
    expect((await deliveryRows(stuck.event.id)).search).toMatchObject({
      status: "RETRYING",
      lastError: expect.stringContaining("did not finish"),
    });

    // While that job waits, the next tick does not send another.
    await runCron(MAINTENANCE_CRON, capturingEnv().env);
    expect(
      await db
        .select()
        .from(jobs)
        .where(like(jobs.idempotencyKey, `event:${event.id}:redispatch:%`)),
    ).toHaveLength(1);
  });
});

import { eq } from "drizzle-orm";
import { describe, expect, it } from "vitest";
import { auditLogs, jobs } from "../../src/db/schema";
import { createUser } from "../helpers/auth";
import { call, problemOf, sendJson } from "../helpers/http";
import { db, dispatcher, emitEvent, recordingSubscriber } from "./helpers";

describe("admin events API", () => {
  it("lists events with filters and cursor, shows one with its subscribers, and retries a failed subscriber (audited)", async () => {
    const admin = await createUser({ role: "admin" });
    const failing = recordingSubscriber("mailer", { failing: () => true });
    failing.subscriber.retryDelaySeconds = () => null;
    const ok = recordingSubscriber("indexer");
    const { event } = await emitEvent(
      "question.deleted",
      { questionId: "qst_admin", authorId: admin.user.id },
      { aggregateId: "qst_admin", ownerId: admin.user.id },
    );
    await dispatcher([failing.subscriber, ok.subscriber]).run(event.id);

    const list = await call(
      `/v1/admin/events?type=question.deleted&status=FAILED&from=${encodeURIComponent(new Date(event.createdAt - 1000).toISOString())}&limit=1`,
      { headers: admin.headers },
    );
    expect(list.status).toBe(200);
    const page = (await list.json()) as { data: { id: string; status: string }[]; nextCursor: string | null };
    expect(page.data[0]).toMatchObject({ id: event.id, status: "FAILED" });
    const future = await call(`/v1/admin/events?from=${encodeURIComponent(new Date(Date.now() + 3_600_000).toISOString())}`, {
      headers: admin.headers,
    });
    expect(((await future.json()) as { data: unknown[] }).data).toEqual([]);

    const one = await call(`/v1/admin/events/${event.id}`, { headers: admin.headers });
    expect(await one.json()).toMatchObject({
      id: event.id,
      type: "question.deleted",
      version: 1,
      payload: { questionId: "qst_admin" },
      status: "FAILED",
      subscribers: [
        { subscriber: "indexer", status: "SUCCEEDED", attempts: 1 },
        { subscriber: "mailer", status: "FAILED", attempts: 1, lastError: "Error: mailer is down" },
      ],
      webhookDeliveries: [],
    });

    const conflict = await sendJson(`/v1/admin/events/${event.id}/subscribers/indexer/retry`, "POST", {}, admin.headers);
    expect(conflict.status).toBe(409);
    const retried = await sendJson(`/v1/admin/events/${event.id}/subscribers/mailer/retry`, "POST", {}, admin.headers);
    expect(retried.status).toBe(202);
    const after = (await (await call(`/v1/admin/events/${event.id}`, { headers: admin.headers })).json()) as {
      status: string;
      subscribers: { subscriber: string; status: string; attempts: number }[];
    };
    expect(after.status).toBe("PROCESSING");
    expect(after.subscribers.find((s) => s.subscriber === "mailer")).toMatchObject({ status: "PENDING", attempts: 0 });
    const audit = await db.select().from(auditLogs).where(eq(auditLogs.targetId, event.id));
    expect(audit).toMatchObject([{ action: "event.retried", actorId: admin.user.id }]);
    expect(await db.select().from(jobs).where(eq(jobs.type, "event.dispatch"))).toEqual(
      expect.arrayContaining([expect.objectContaining({ payload: { eventId: event.id, subscriber: "mailer" } })]),
    );
    expect((await sendJson(`/v1/admin/events/${event.id}/subscribers/nobody/retry`, "POST", {}, admin.headers)).status).toBe(404);
  });

  it("is for admins only, and refuses bad filters with a clear problem", async () => {
    const instructor = await createUser({ role: "instructor" });
    const admin = await createUser({ role: "admin" });
    expect((await call("/v1/admin/events", { headers: instructor.headers })).status).toBe(403);
    const bad = await call("/v1/admin/events?type=nope&from=yesterday", { headers: admin.headers });
    expect(bad.status).toBe(400);
    expect((await problemOf(bad)).errors!.map((e) => e.path).sort()).toEqual(["from", "type"]);
    expect((await call("/v1/admin/events/evt_missing", { headers: admin.headers })).status).toBe(404);
  });
});

import { env } from "cloudflare:workers";
import { eq } from "drizzle-orm";
import { Webhook as StandardWebhook } from "standardwebhooks";
import { describe, expect, it, vi } from "vitest";
import { webhooks } from "../../src/db/schema";
import { clock, HOUR_MS } from "../../src/lib/clock";
import { webhookSubscriber } from "../../src/lib/webhooks/subscriber";
import { createUser } from "../helpers/auth";
import { call, sendJson } from "../helpers/http";
import { db, dispatcher, emitEvent } from "../events/helpers";
import { createWebhook, received, receiverUrl } from "./helpers";

const question = {
  type: "MCQ",
  body: "What is 6 × 7?",
  subject: "math",
  topic: "arithmetic",
  options: ["42", "67"],
  correctOption: 0,
  marks: 1,
};

/** The receiver's view of a request, checked by the independent Standard Webhooks implementation. */
function verify(secret: string, request: { headers: Record<string, string>; body: string }) {
  return new StandardWebhook(secret).verify(request.body, request.headers) as {
    type: string;
    timestamp: string;
    data: Record<string, unknown>;
  };
}

describe("webhook delivery (Standard Webhooks)", () => {
  it("a change reaches the owner's endpoint through the real queue, signed so standardwebhooks verifies it", async () => {
    const instructor = await createUser({ role: "instructor" });
    const url = receiverUrl();
    const hook = await createWebhook(instructor.headers, { url, eventTypes: ["question.created"], description: "bank sync" });
    expect(hook.secret).toMatch(/^whsec_[A-Za-z0-9+/]{43}=$/);
    expect(hook).toMatchObject({ url, eventTypes: ["question.created"], active: true, successCount: 0 });

    const created = await sendJson("/v1/questions", "POST", question, instructor.headers);
    expect(created.status).toBe(201);
    const { id: questionId } = (await created.json()) as { id: string };

    const [request] = await vi.waitUntil(
      async () => {
        const got = await received(url);
        return got.length > 0 ? got : false;
      },
      { timeout: 15_000, interval: 100 },
    );
    expect(request!.headers).toMatchObject({
      "content-type": "application/json",
      "webhook-id": expect.stringMatching(/^evt_/),
      "webhook-timestamp": expect.stringMatching(/^\d{10}$/),
    });
    expect(request!.headers["webhook-signature"]).toMatch(/^v1,[A-Za-z0-9+/]+=*$/);
    const body = verify(hook.secret, request!);
    expect(body).toEqual({
      type: "question.created",
      timestamp: expect.stringMatching(/^\d{4}-\d\d-\d\dT/),
      data: { questionId, authorId: instructor.user.id, type: "MCQ", subject: "math", topic: "arithmetic", difficulty: "medium" },
    });
    // A tampered body or another secret fails verification.
    expect(() => verify(hook.secret, { ...request!, body: request!.body.replace("math", "maths") })).toThrow();
    expect(() => verify("whsec_" + btoa("x".repeat(32)), request!)).toThrow();

    // The log and the counters, as the owner reads them.
    const log = await vi.waitUntil(async () => {
      const page = (await (await call(`/v1/webhooks/${hook.id}/deliveries`, { headers: instructor.headers })).json()) as {
        data: Record<string, any>[];
      };
      return page.data.length > 0 ? page.data : false;
    });
    expect(log[0]).toMatchObject({
      eventType: "question.created",
      messageId: request!.headers["webhook-id"],
      attempt: 1,
      status: "SUCCESS",
      response: { status: 200, body: "{}" },
      nextRetryAt: null,
    });
    expect(log[0]!.request.body).toBe(request!.body);
    expect(JSON.stringify(log[0])).not.toContain(hook.secret.slice(6));
    const view = (await (await call(`/v1/webhooks/${hook.id}`, { headers: instructor.headers })).json()) as Record<string, unknown>;
    expect(view).toMatchObject({ successCount: 1, failureCount: 0, consecutiveFailures: 0 });
    expect(view).not.toHaveProperty("secret");
  });

  it("POST /test sends a webhook.test event to that endpoint only, whatever types it subscribes to", async () => {
    const instructor = await createUser({ role: "instructor" });
    const url = receiverUrl();
    const other = receiverUrl();
    const hook = await createWebhook(instructor.headers, { url, eventTypes: ["attempt.scored"] });
    await createWebhook(instructor.headers, { url: other, eventTypes: [] });
    const res = await sendJson(`/v1/webhooks/${hook.id}/test`, "POST", {}, instructor.headers);
    expect(res.status).toBe(202);
    const { eventId } = (await res.json()) as { eventId: string };
    const [request] = await vi.waitUntil(async () => ((await received(url)).length > 0 ? received(url) : false), {
      timeout: 15_000,
      interval: 100,
    });
    expect(request!.headers["webhook-id"]).toBe(eventId);
    expect(verify(hook.secret, request!)).toMatchObject({ type: "webhook.test", data: { webhookId: hook.id } });
    expect(await received(other)).toEqual([]);
  });

  it("during a rotation every delivery carries both signatures; each secret verifies; after the overlap only the new one", async () => {
    const instructor = await createUser({ role: "instructor" });
    const url = receiverUrl();
    const hook = await createWebhook(instructor.headers, { url, eventTypes: ["question.deleted"] });
    const rotated = await sendJson(`/v1/webhooks/${hook.id}/rotate-secret`, "POST", {}, instructor.headers);
    expect(rotated.status).toBe(200);
    const { secret: newSecret, previousSecretExpiresAt } = (await rotated.json()) as { secret: string; previousSecretExpiresAt: string };
    expect(newSecret).not.toBe(hook.secret);
    expect(Date.parse(previousSecretExpiresAt) - clock.now()).toBeGreaterThan(23 * HOUR_MS);

    const run = dispatcher([webhookSubscriber]);
    const { event } = await emitEvent(
      "question.deleted",
      { questionId: "qst_rot", authorId: instructor.user.id },
      { ownerId: instructor.user.id },
    );
    await run.run(event.id);
    const [during] = await received(url);
    expect(during!.headers["webhook-signature"]!.split(" ")).toHaveLength(2);
    expect(verify(newSecret, during!).type).toBe("question.deleted");
    expect(verify(hook.secret, during!).type).toBe("question.deleted");

    clock.advance(25 * HOUR_MS);
    const later = await emitEvent(
      "question.deleted",
      { questionId: "qst_rot2", authorId: instructor.user.id },
      { ownerId: instructor.user.id },
    );
    await run.run(later.event.id);
    const after = (await received(url))[1]!;
    expect(after.headers["webhook-signature"]!.split(" ")).toHaveLength(1);
    const stored = await db.select().from(webhooks).where(eq(webhooks.id, hook.id)).get();
    expect(stored!.secret).not.toContain(newSecret.slice(6)); // encrypted at rest
    expect(stored!.previousSecret).not.toContain(hook.secret.slice(6));
    // standardwebhooks checks the timestamp against its own clock, which the test moved past.
    expect(() => verifyAt(newSecret, after)).not.toThrow();
    expect(() => verifyAt(hook.secret, after)).toThrow();
  });

  it("a payload over the cap carries the resource id and its link instead of the data; the response is logged up to 4 KB", async () => {
    const instructor = await createUser({ role: "instructor" });
    const url = receiverUrl("big");
    const hook = await createWebhook(instructor.headers, { url, eventTypes: ["question.updated"] });
    const small = { ...env, WEBHOOK_MAX_PAYLOAD_BYTES: "100" };
    const run = dispatcher([webhookSubscriber], { env: small as never, sent: [] });
    const { event } = await emitEvent(
      "question.updated",
      { questionId: "qst_big", authorId: instructor.user.id, type: "MCQ", subject: "s".repeat(200), topic: null, difficulty: "hard" },
      { aggregateId: "qst_big", ownerId: instructor.user.id },
    );
    await run.run(event.id);
    const [request] = await received(url);
    expect(verify(hook.secret, request!)).toEqual({
      type: "question.updated",
      timestamp: expect.any(String),
      data: { truncated: true, resource: "question", id: "qst_big", url: "/v1/questions/qst_big" },
    });
    const page = (await (await call(`/v1/webhooks/${hook.id}/deliveries`, { headers: instructor.headers })).json()) as {
      data: { response: { body: string } }[];
    };
    expect(new TextEncoder().encode(page.data[0]!.response.body).length).toBe(4096);
  });
});

/** Verification with the timestamp check relative to the message's own time (the clock was moved). */
function verifyAt(secret: string, request: { headers: Record<string, string>; body: string }) {
  const at = new Date(Number(request.headers["webhook-timestamp"]) * 1000);
  vi.useFakeTimers({ now: at, toFake: ["Date"] });
  try {
    return new StandardWebhook(secret).verify(request.body, request.headers);
  } finally {
    vi.useRealTimers();
  }
}

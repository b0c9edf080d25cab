import { env } from "cloudflare:workers";
import { eq, sql } from "drizzle-orm";
import { describe, expect, it, vi } from "vitest";
import { auditLogs, eventDeliveries } from "../../src/db/schema";
import { ConfigError, loadConfig } from "../../src/config";
import type { Env } from "../../src/env";
import { checkWebhookUrl } from "../../src/lib/webhooks/ssrf";
import { webhookDeliveryKey, webhookSubscriber } from "../../src/lib/webhooks/subscriber";
import { createApiKey, createUser } from "../helpers/auth";
import { call, problemOf, sendJson } from "../helpers/http";
import { db, deliveryRows, dispatcher, emitEvent } from "../events/helpers";
import { capturingEnv } from "../jobs/helpers";
import { createWebhook, received, receiverUrl } from "./helpers";

const strict = { allowLoopback: false };
const local = { allowLoopback: true };

describe("the SSRF guard", () => {
  it.each([
    ["http://hooks.example.com/x", "must use https"],
    ["ftp://hooks.example.com/x", "must use https"],
    ["https://hooks.example.com:8443/x", "must use port 443"],
    ["https://user:pass@hooks.example.com/x", "must not carry credentials"],
    ["https://localhost/x", "points to localhost"],
    ["https://api.localhost/x", "points to localhost"],
    ["https://metadata.google.internal/x", "points to an internal name"],
    ["https://intranet/x", "must name a public host"],
    ["https://127.0.0.1/x", "loopback"],
    ["https://2130706433/x", "loopback"], // integer form of 127.0.0.1
    ["https://0x7f.1/x", "loopback"],
    ["https://[::1]/x", "loopback"],
    ["https://0.0.0.0/x", "this-network"],
    ["https://10.1.2.3/x", "private"],
    ["https://172.16.0.1/x", "private"],
    ["https://172.31.255.255/x", "private"],
    ["https://192.168.1.1/x", "private"],
    ["https://100.64.0.1/x", "CGNAT"],
    ["https://100.100.100.200/x", "CGNAT"], // Alibaba Cloud metadata
    ["https://169.254.169.254/latest/meta-data", "link-local"],
    ["https://224.0.0.1/x", "multicast"],
    ["https://[ff02::1]/x", "multicast"],
    ["https://[fe80::1]/x", "link-local"],
    ["https://[fd00:ec2::254]/x", "unique local"], // AWS IPv6 metadata
    ["https://[::ffff:169.254.169.254]/x", "link-local"],
    ["https://[64:ff9b::a9fe:a9fe]/x", "link-local"], // NAT64 of 169.254.169.254
    ["https://[::]/x", "unspecified"],
    ["https://255.255.255.255/x", "reserved"],
    ["not a url", "not a valid URL"],
  ])("refuses %s (%s)", (url, reason) => {
    const verdict = checkWebhookUrl(url, strict);
    expect(verdict.ok).toBe(false);
    expect(!verdict.ok && verdict.reason).toContain(reason);
  });

  it("admits public https endpoints, and with WEBHOOK_ALLOW_LOOPBACK only http and loopback besides", () => {
    expect(checkWebhookUrl("https://hooks.example.com/proctor", strict).ok).toBe(true);
    expect(checkWebhookUrl("https://hooks.example.com:443/proctor", strict).ok).toBe(true);
    expect(checkWebhookUrl("https://8.8.8.8/x", strict).ok).toBe(true);
    expect(checkWebhookUrl("http://127.0.0.1:8080/x", local).ok).toBe(true);
    expect(checkWebhookUrl("http://[::1]:8080/x", local).ok).toBe(true);
    expect(checkWebhookUrl("http://127.9.9.9:1/x", local).ok).toBe(true);
    for (const url of [
      "http://10.0.0.1/x",
      "http://169.254.169.254/x",
      "http://localhost:8080/x",
      "https://192.168.0.1/x",
      "http://hooks.example.com:8080/x",
    ]) {
      expect(checkWebhookUrl(url, local).ok, url).toBe(false);
    }
  });

  it("WEBHOOK_ALLOW_LOOPBACK=true is refused in production", () => {
    const production = { ...env, ENVIRONMENT: "production", WEBHOOK_ALLOW_LOOPBACK: "true" } as Env;
    expect(() => loadConfig(production)).toThrow(ConfigError);
    const deployable = {
      ...env,
      ENVIRONMENT: "production",
      DEVICE_TOKEN_SECRET: "x".repeat(32),
      EMAIL_LINK_SECRET: "e".repeat(32),
      EXPORT_LINK_SECRET: "x".repeat(32),
    };
    expect(() => loadConfig({ ...deployable, WEBHOOK_ALLOW_LOOPBACK: "false" } as Env)).not.toThrow();
  });

  it("the API refuses a private target when the endpoint is saved, with a clear problem", async () => {
    const instructor = await createUser({ role: "instructor" });
    const res = await sendJson("/v1/webhooks", "POST", { url: "http://169.254.169.254/latest", eventTypes: [] }, instructor.headers);
    expect(res.status).toBe(400);
    expect((await problemOf(res)).errors).toEqual([{ path: "url", message: "The URL points to a link-local (cloud metadata) address" }]);
    const hook = await createWebhook(instructor.headers, { url: receiverUrl(), eventTypes: [] });
    const patch = await sendJson(`/v1/webhooks/${hook.id}`, "PATCH", { url: "https://10.0.0.8/hook" }, instructor.headers);
    expect(patch.status).toBe(400);
  });

  it("checks again at every delivery: a saved loopback URL is refused once loopback is no longer allowed", async () => {
    const instructor = await createUser({ role: "instructor" });
    const url = receiverUrl();
    const hook = await createWebhook(instructor.headers, { url, eventTypes: ["question.deleted"] });
    const captured = capturingEnv();
    const run = dispatcher([webhookSubscriber], { env: { ...captured.env, WEBHOOK_ALLOW_LOOPBACK: "false" } as Env, sent: captured.sent });
    const { event } = await emitEvent(
      "question.deleted",
      { questionId: "qst_ssrf", authorId: instructor.user.id },
      { ownerId: instructor.user.id },
    );
    await run.run(event.id);
    expect((await deliveryRows(event.id))[webhookDeliveryKey(hook.id)]).toMatchObject({
      status: "FAILED",
      lastError: "PermanentDeliveryError: Refused: the URL must use https",
    });
    expect(await received(url)).toEqual([]);
  });
});

describe("object-level access", () => {
  it("an instructor's endpoint never receives another instructor's events; an admin's receives both; platform events go to admins only", async () => {
    const alice = await createUser({ role: "instructor" });
    const bob = await createUser({ role: "instructor" });
    const admin = await createUser({ role: "admin" });
    const aliceUrl = receiverUrl();
    const bobUrl = receiverUrl();
    const adminUrl = receiverUrl();
    const types = ["question.created", "user.registered", "webhook.disabled"];
    const aliceHook = await createWebhook(alice.headers, { url: aliceUrl, eventTypes: types });
    await createWebhook(bob.headers, { url: bobUrl, eventTypes: types });
    await createWebhook(admin.headers, { url: adminUrl, eventTypes: ["question.created"] });

    // Through the real routes and the real queue.
    const body = { type: "MCQ", body: "Q?", subject: "s", options: ["a", "b"], correctOption: 0, marks: 1 };
    const a = (await (await sendJson("/v1/questions", "POST", body, alice.headers)).json()) as { id: string };
    const b = (await (await sendJson("/v1/questions", "POST", body, bob.headers)).json()) as { id: string };
    await createUser(); // user.registered: platform-wide, no owner

    const questionIds = async (url: string) =>
      (await received(url)).map((r) => (JSON.parse(r.body) as { data: { questionId?: string } }).data.questionId);
    await vi.waitUntil(async () => (await received(adminUrl)).filter((r) => [a.id, b.id].some((id) => r.body.includes(id))).length === 2, {
      timeout: 15_000,
      interval: 100,
    });
    await vi.waitUntil(async () => (await received(aliceUrl)).length >= 1 && (await received(bobUrl)).length >= 1, {
      timeout: 15_000,
      interval: 100,
    });
    expect(await questionIds(aliceUrl)).toEqual([a.id]);
    expect(await questionIds(bobUrl)).toEqual([b.id]);

    // Every subscriber row of Alice's endpoint is about an event she owns.
    const foreign = await db
      .select({ n: sql<number>`count(*)` })
      .from(eventDeliveries)
      .where(
        sql`${eventDeliveries.subscriber} = ${webhookDeliveryKey(aliceHook.id)} and (select owner_id from events where id = ${eventDeliveries.eventId}) is not ${alice.user.id}`,
      );
    expect(foreign[0]!.n).toBe(0);

    // A demoted instructor's endpoint stops receiving (checked at fan-out and again at each delivery).
    await env.DB.prepare("UPDATE users SET role = 'student' WHERE id = ?").bind(alice.user.id).run();
    const run = dispatcher([webhookSubscriber]);
    const { event } = await emitEvent(
      "question.created",
      { questionId: "qst_after", authorId: alice.user.id, type: "MCQ", subject: "s", topic: null, difficulty: "easy" },
      { ownerId: alice.user.id },
    );
    await run.run(event.id);
    expect((await deliveryRows(event.id))[webhookDeliveryKey(aliceHook.id)]).toBeUndefined();
  });

  it("a user sees and manages only their own webhooks, admins included; students may not manage webhooks", async () => {
    const owner = await createUser({ role: "instructor" });
    const admin = await createUser({ role: "admin" });
    const student = await createUser();
    const hook = await createWebhook(owner.headers, { url: receiverUrl(), eventTypes: [] });
    for (const other of [admin]) {
      expect((await call(`/v1/webhooks/${hook.id}`, { headers: other.headers })).status).toBe(404);
      expect((await sendJson(`/v1/webhooks/${hook.id}`, "PATCH", { active: false }, other.headers)).status).toBe(404);
      expect((await call(`/v1/webhooks/${hook.id}`, { method: "DELETE", headers: other.headers })).status).toBe(404);
      expect((await call(`/v1/webhooks/${hook.id}/deliveries`, { headers: other.headers })).status).toBe(404);
      expect((await sendJson(`/v1/webhooks/${hook.id}/test`, "POST", {}, other.headers)).status).toBe(404);
      expect((await sendJson(`/v1/webhooks/${hook.id}/rotate-secret`, "POST", {}, other.headers)).status).toBe(404);
      const list = (await (await call("/v1/webhooks", { headers: other.headers })).json()) as { data: { id: string }[] };
      expect(list.data.map((w) => w.id)).not.toContain(hook.id);
    }
    const refused = await sendJson("/v1/webhooks", "POST", { url: receiverUrl(), eventTypes: [] }, student.headers);
    expect(refused.status).toBe(403);
    expect((await problemOf(refused)).code).toBe("insufficient_scope");
    // An API key without webhooks:manage cannot reach them either.
    const key = await createApiKey(owner.headers, { scopes: ["questions:read"] });
    expect((await call("/v1/webhooks", { headers: key.headers })).status).toBe(403);
  });

  it("the secret is shown once: never in reads, lists, the audit trail or the delivery log", async () => {
    const owner = await createUser({ role: "instructor" });
    const hook = await createWebhook(owner.headers, { url: receiverUrl(), eventTypes: [] });
    const raw = hook.secret.slice("whsec_".length);
    const reads = [
      await call(`/v1/webhooks/${hook.id}`, { headers: owner.headers }),
      await call("/v1/webhooks", { headers: owner.headers }),
    ];
    for (const res of reads) expect(await res.text()).not.toContain(raw);
    const audit = await db.select().from(auditLogs).where(eq(auditLogs.targetId, hook.id));
    expect(audit.map((row) => row.action)).toEqual(["webhook.created"]);
    expect(JSON.stringify(audit)).not.toContain(raw);
  });
});

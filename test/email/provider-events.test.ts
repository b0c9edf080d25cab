import { eq } from "drizzle-orm";
import { Webhook } from "standardwebhooks";
import { describe, expect, it } from "vitest";
import { loadConfig } from "../../src/config";
import { emailMessages, emailSuppressions } from "../../src/db/schema";
import { queueEmail } from "../../src/lib/email/outbox";
import { uniqueEmail } from "../helpers/auth";
import { problemOf } from "../helpers/http";
import { db, messageRow, requestWith, resendBindings, runCapturedJobs } from "./helpers";

// Resend's signing secret has the Standard Webhooks shape: whsec_ + base64 of the key bytes.
const SECRET = `whsec_${btoa("resend-test-signing-key-32-bytes")}`;
const signer = new Webhook(SECRET);

function signed(payload: unknown, options: { id?: string; at?: Date; headerPrefix?: "svix" | "webhook"; secret?: Webhook } = {}) {
  const body = JSON.stringify(payload);
  const id = options.id ?? `msg_${crypto.randomUUID()}`;
  const at = options.at ?? new Date();
  const prefix = options.headerPrefix ?? "svix";
  return {
    method: "POST",
    headers: {
      "Content-Type": "application/json",
      [`${prefix}-id`]: id,
      [`${prefix}-timestamp`]: String(Math.floor(at.getTime() / 1000)),
      [`${prefix}-signature`]: (options.secret ?? signer).sign(id, at, body),
    },
    body,
  };
}

/** A message Resend accepted (so it has Resend's id), and the app wired to receive Resend's events. */
async function sentMessage() {
  const bindings = resendBindings("", { RESEND_WEBHOOK_SECRET: SECRET });
  const to = uniqueEmail("rcpt");
  const queued = await queueEmail(bindings.env, db, loadConfig(bindings.env), {
    template: "welcome",
    to,
    userId: null,
    data: { name: "Ada" },
  });
  await runCapturedJobs(bindings);
  const row = await messageRow(queued!.id);
  expect(row.status).toBe("sent");
  return { row, to, request: requestWith(bindings) };
}

const suppressionOf = (email: string) => db.select().from(emailSuppressions).where(eq(emailSuppressions.email, email)).get();

describe("Resend's delivery events", () => {
  it("a delivery marks the message delivered", async () => {
    const { row, request } = await sentMessage();
    const res = await request(
      "/v1/email/events",
      signed({ type: "email.delivered", data: { email_id: row.providerMessageId, to: [row.toAddress] } }),
    );
    expect(await res.json()).toEqual({ outcome: "applied" });
    expect((await messageRow(row.id)).status).toBe("delivered");
  });

  it("a hard bounce marks the message bounced and suppresses the address; later mail to it is not sent", async () => {
    const { row, to, request } = await sentMessage();
    const bounce = {
      type: "email.bounced",
      data: { email_id: row.providerMessageId, to: [to], bounce: { type: "Permanent", subType: "General", message: "No such user" } },
    };
    const res = await request("/v1/email/events", signed(bounce, { headerPrefix: "webhook" }));
    expect(res.status, await res.clone().text()).toBe(200);
    expect((await messageRow(row.id)).status).toBe("bounced");
    expect(await suppressionOf(to)).toMatchObject({ reason: "hard_bounce", messageId: row.id });

    const bindings = resendBindings();
    const next = await queueEmail(bindings.env, db, loadConfig(bindings.env), {
      template: "welcome",
      to,
      userId: null,
      data: { name: "Ada" },
    });
    await runCapturedJobs(bindings);
    expect((await messageRow(next!.id)).status).toBe("suppressed");
  });

  it("a transient bounce suppresses nothing; a complaint does", async () => {
    const { row, to, request } = await sentMessage();
    const soft = {
      type: "email.bounced",
      data: { email_id: row.providerMessageId, to: [to], bounce: { type: "Transient", message: "Mailbox full" } },
    };
    expect(await (await request("/v1/email/events", signed(soft))).json()).toEqual({ outcome: "ignored" });
    expect(await suppressionOf(to)).toBeUndefined();
    const complaint = { type: "email.complained", data: { email_id: row.providerMessageId, to: [to] } };
    expect(await (await request("/v1/email/events", signed(complaint))).json()).toEqual({ outcome: "applied" });
    expect((await messageRow(row.id)).status).toBe("complained");
    expect((await suppressionOf(to))?.reason).toBe("complaint");
  });
});

describe("signature and replay", () => {
  it("refuses an unsigned, wrongly signed or stale message, changing nothing", async () => {
    const { row, to, request } = await sentMessage();
    const bounce = { type: "email.bounced", data: { email_id: row.providerMessageId, to: [to], bounce: { type: "Permanent" } } };
    const unsigned = await request("/v1/email/events", {
      method: "POST",
      headers: { "Content-Type": "application/json" },
      body: JSON.stringify(bounce),
    });
    const otherKey = await request(
      "/v1/email/events",
      signed(bounce, { secret: new Webhook(`whsec_${btoa("someone-elses-signing-key-32byte")}`) }),
    );
    const stale = await request("/v1/email/events", signed(bounce, { at: new Date(Date.now() - 10 * 60_000) }));
    const future = await request("/v1/email/events", signed(bounce, { at: new Date(Date.now() + 10 * 60_000) }));
    const tampered = signed(bounce);
    tampered.body = tampered.body.replace("Permanent", "Permanent ");
    const altered = await request("/v1/email/events", tampered);
    for (const res of [unsigned, otherKey, stale, future, altered]) {
      expect(res.status).toBe(401);
      expect((await problemOf(res)).code).toBe("unauthenticated");
    }
    expect((await messageRow(row.id)).status).toBe("sent");
    expect(await suppressionOf(to)).toBeUndefined();
  });

  it("a replay of a handled message changes nothing, even after an admin lifted the suppression", async () => {
    const { row, to, request } = await sentMessage();
    const bounce = signed({ type: "email.bounced", data: { email_id: row.providerMessageId, to: [to], bounce: { type: "Permanent" } } });
    expect(await (await request("/v1/email/events", bounce)).json()).toEqual({ outcome: "applied" });
    await db.delete(emailSuppressions).where(eq(emailSuppressions.email, to));
    await db.update(emailMessages).set({ status: "sent" }).where(eq(emailMessages.id, row.id));
    expect(await (await request("/v1/email/events", bounce)).json()).toEqual({ outcome: "duplicate" });
    expect(await suppressionOf(to)).toBeUndefined();
    expect((await messageRow(row.id)).status).toBe("sent");
  });

  it("without RESEND_WEBHOOK_SECRET every event is refused; a signed body that is not JSON is a 400", async () => {
    const { request } = await sentMessage();
    const unconfigured = requestWith(resendBindings());
    expect((await unconfigured("/v1/email/events", signed({ type: "email.delivered", data: {} }))).status).toBe(401);
    const notJson = signed({});
    notJson.body = "not json";
    notJson.headers["svix-signature"] = signer.sign(
      notJson.headers["svix-id"]!,
      new Date(Number(notJson.headers["svix-timestamp"]) * 1000),
      "not json",
    );
    expect((await problemOf(await request("/v1/email/events", notJson))).code).toBe("bad_request");
  });
});

import { env } from "cloudflare:workers";
import { eq } from "drizzle-orm";
import { describe, expect, it } from "vitest";
import { eventDeliveries } from "../../src/db/schema";
import { cache } from "../../src/lib/cache";
import { newId } from "../../src/lib/ids";
import { webhookDeliveryKey, webhookSubscriber } from "../../src/lib/webhooks/subscriber";
import { cacheHarness, unique } from "../cache/support";
import { db, dispatcher, emitEvent, recordingSubscriber } from "../events/helpers";
import { createUser, uniqueEmail } from "../helpers/auth";
import { consoleAs } from "../helpers/console";
import { call } from "../helpers/http";
import { seedAudit } from "../observability/seed";
import { createWebhook, receiverUrl } from "../webhooks/helpers";

const HOSTILE = `<script>alert("x")</script><img src=x onerror=alert(1)>"'&`;

/** The flash message the page after an action shows. */
function flashOf(html: string): { kind: string; text: string } | null {
  const match = /<p class="flash flash-(success|error)"[^>]*>([^<]*)<\/p>/.exec(html);
  return match ? { kind: match[1]!, text: match[2]! } : null;
}

async function auditRows(targetId: string) {
  const { results } = await env.DB.prepare("SELECT action, actor_id, status FROM audit_logs WHERE target_id = ? ORDER BY created_at")
    .bind(targetId)
    .all<{ action: string; actor_id: string | null; status: string }>();
  return results;
}

function expectInert(html: string) {
  expect(html).not.toContain("<script>alert");
  expect(html).not.toContain("<img src=x");
  expect(html).not.toMatch(/<iframe/i);
  expect(html).not.toMatch(/<[^>]*\son[a-z]+=/);
}

describe("console: users", () => {
  it("finds a user, changes their role and revokes their access, through the API (audited)", async () => {
    const { browser, user: admin } = await consoleAs();
    const target = await createUser({ name: "Target Person" });
    const back = `/admin/users?q=${encodeURIComponent(target.user.email)}`;

    const list = await browser.page(back);
    expect(list).toContain(target.user.email);
    expect(list).toContain(`action="/admin/users/${target.user.id}/role"`);
    expect(list).toMatch(/<form method="post" action="\/admin\/users\/usr_\w+\/revoke-access" class="action" data-confirm="Sign /);
    expect((await browser.page("/admin/users?role=admin")).includes(target.user.email)).toBe(false);

    const changed = await browser.post(`/admin/users/${target.user.id}/role`, { role: "instructor", reason: "Teaches now", _back: back });
    expect(changed.status).toBe(303);
    expect(changed.headers.get("Location")).toBe(back);
    const after = await browser.page(back);
    expect(flashOf(after)).toEqual({ kind: "success", text: `${target.user.email} is now an instructor.` });
    const role = await env.DB.prepare("SELECT role FROM users WHERE id = ?").bind(target.user.id).first<{ role: string }>();
    expect(role?.role).toBe("instructor");
    expect(await auditRows(target.user.id)).toContainEqual({ action: "user.role_changed", actor_id: admin.user.id, status: "SUCCESS" });

    // A revocation needs a reason; the API's validation names the field.
    await browser.post(`/admin/users/${target.user.id}/revoke-access`, { reason: "  ", _back: back });
    expect(flashOf(await browser.page(back))?.text).toContain("reason: Must not be blank");
    expect((await call("/v1/me", { headers: target.headers })).status).toBe(200);

    await browser.post(`/admin/users/${target.user.id}/revoke-access`, { reason: "Lost laptop", _back: back });
    const revoked = flashOf(await browser.page(back));
    expect(revoked?.kind).toBe("success");
    expect(revoked?.text).toMatch(/^Access revoked: [1-9]\d* sessions? and 0 API keys\.$/);
    expect((await call("/v1/me", { headers: target.headers })).status).toBe(401);
    expect((await auditRows(target.user.id)).map((row) => row.action)).toContain("user.access_revoked");

    // An admin's own role is not offered for change; the API would refuse it anyway.
    const self = await browser.page(`/admin/users?q=${encodeURIComponent(admin.user.email)}`);
    expect(self).toContain("Your own role is changed by another administrator.");
    expect(self).not.toContain(`action="/admin/users/${admin.user.id}/role"`);
  });
});

describe("console: webhooks", () => {
  it("lists the admin's own endpoints (and says so), shows deliveries escaped, replays one, sends a test, recovers a disabled one", async () => {
    const { browser, user: admin } = await consoleAs();
    const url = receiverUrl("fail");
    const hook = await createWebhook(admin.headers, { url, eventTypes: ["question.deleted"], description: HOSTILE });
    const someoneElse = await createUser({ role: "instructor" });
    const foreign = await createWebhook(someoneElse.headers, { url: receiverUrl(), eventTypes: ["question.deleted"] });

    const { event } = await emitEvent(
      "question.deleted",
      { questionId: `qst_${HOSTILE}`, authorId: admin.user.id },
      { ownerId: admin.user.id },
    );
    await dispatcher([webhookSubscriber]).run(event.id);
    const key = webhookDeliveryKey(hook.id);
    await db.update(eventDeliveries).set({ status: "FAILED", nextAttemptAt: null }).where(eq(eventDeliveries.eventId, event.id));

    const list = await browser.page("/admin/webhooks");
    expect(list).toContain("only the endpoints it registered itself, administrators included");
    expect(list).toContain(`href="/admin/webhooks/${hook.id}"`);
    expect(list).not.toContain(foreign.id);
    expectInert(list);

    const detail = await browser.page(`/admin/webhooks/${hook.id}`);
    expectInert(detail);
    expect(detail).toContain("question.deleted");
    expect(detail).toContain("&lt;script&gt;alert(");
    const deliveryId = /action="\/admin\/webhooks\/whk_\w+\/deliveries\/(\w+)\/replay"/.exec(detail)?.[1];
    expect(deliveryId).toBeDefined();
    expect(await browser.page(`/admin/webhooks/${hook.id}?status=SUCCESS`)).toContain("No deliveries match.");

    const replay = await browser.post(`/admin/webhooks/${hook.id}/deliveries/${deliveryId}/replay`, {
      _back: `/admin/webhooks/${hook.id}`,
    });
    expect(replay.headers.get("Location")).toBe(`/admin/webhooks/${hook.id}`);
    expect(flashOf(await browser.page(`/admin/webhooks/${hook.id}`))).toEqual({
      kind: "success",
      text: `The message of event ${event.id} is queued for delivery again.`,
    });
    const progress = await db.select().from(eventDeliveries).where(eq(eventDeliveries.eventId, event.id)).get();
    expect(progress?.subscriber).toBe(key);
    expect(progress?.status).not.toBe("FAILED");

    await browser.post(`/admin/webhooks/${hook.id}/test`, {});
    expect(flashOf(await browser.page(`/admin/webhooks/${hook.id}`))?.text).toMatch(/^A webhook\.test event \(evt_\w+\) is queued/);

    // Disabled after a failure streak: recovering re-enables it, then sends the failed messages again.
    await env.DB.prepare("UPDATE webhooks SET active = 0, disabled_at = ?, disabled_reason = 'failing' WHERE id = ?")
      .bind(Date.now(), hook.id)
      .run();
    await db.update(eventDeliveries).set({ status: "FAILED", nextAttemptAt: null }).where(eq(eventDeliveries.eventId, event.id));
    const disabled = await browser.page(`/admin/webhooks/${hook.id}`);
    expect(disabled).toContain("Re-enable and re-deliver failed messages");
    await browser.post(`/admin/webhooks/${hook.id}/recover`, {
      enable: "1",
      since: new Date(Date.now() - 3_600_000).toISOString().slice(0, 16),
    });
    expect(flashOf(await browser.page(`/admin/webhooks/${hook.id}`))).toEqual({
      kind: "success",
      text: "1 failed message is queued again.",
    });
    const row = await env.DB.prepare("SELECT active FROM webhooks WHERE id = ?").bind(hook.id).first<{ active: number }>();
    expect(row?.active).toBe(1);
    expect((await auditRows(hook.id)).map((r) => r.action)).toEqual(
      expect.arrayContaining(["webhook.replayed", "webhook.tested", "webhook.updated", "webhook.recovered"]),
    );

    // Another account's endpoint reads as missing, exactly as the API answers.
    expect((await browser.get(`/admin/webhooks/${foreign.id}`)).status).toBe(404);
  });
});

describe("console: events", () => {
  it("lists events by filter, shows each subscriber's status, and retries a failed one (audited)", async () => {
    const { browser, user: admin } = await consoleAs();
    const failing = recordingSubscriber("console-mailer", { failing: () => true });
    failing.subscriber.retryDelaySeconds = () => null;
    const ok = recordingSubscriber("console-indexer");
    const { event } = await emitEvent(
      "question.deleted",
      { questionId: `qst_${HOSTILE}`, authorId: admin.user.id },
      { aggregateId: "qst_console" },
    );
    await dispatcher([failing.subscriber, ok.subscriber]).run(event.id);

    const list = await browser.page(
      `/admin/events?type=question.deleted&status=FAILED&from=${new Date(Date.now() - 60_000).toISOString().slice(0, 16)}`,
    );
    expect(list).toContain(`href="/admin/events/${event.id}"`);
    expect(await browser.page("/admin/events?status=PROCESSED&type=payment.failed")).not.toContain(event.id);

    const detail = await browser.page(`/admin/events/${event.id}`);
    expectInert(detail);
    expect(detail).toContain("Error: console-mailer is down");
    expect(detail).toContain(`action="/admin/events/${event.id}/subscribers/console-mailer/retry"`);
    expect(detail).not.toContain(`action="/admin/events/${event.id}/subscribers/console-indexer/retry"`);

    const retried = await browser.post(`/admin/events/${event.id}/subscribers/console-mailer/retry`, {
      _back: `/admin/events/${event.id}`,
    });
    expect(retried.status).toBe(303);
    expect(flashOf(await browser.page(`/admin/events/${event.id}`))).toEqual({
      kind: "success",
      text: `Subscriber console-mailer will take event ${event.id} again from its first attempt.`,
    });
    expect(await auditRows(event.id)).toEqual([{ action: "event.retried", actor_id: admin.user.id, status: "SUCCESS" }]);
    const row = await db.select().from(eventDeliveries).where(eq(eventDeliveries.subscriber, "console-mailer")).get();
    expect(row?.status).not.toBe("FAILED");

    // A subscriber that did not fail is refused by the API, and the page says why.
    await browser.post(`/admin/events/${event.id}/subscribers/console-indexer/retry`, { _back: `/admin/events/${event.id}` });
    expect(flashOf(await browser.page(`/admin/events/${event.id}`))).toEqual({
      kind: "error",
      text: "Only a FAILED subscriber can be retried; this one is SUCCEEDED.",
    });
  });
});

describe("console: mailbox", () => {
  it("lists messages and shows one with a hostile HTML body as inert source, never rendered", async () => {
    const { browser } = await consoleAs();
    const to = uniqueEmail("mail");
    const id = newId("email", Date.now());
    const html = `<html><body>${HOSTILE}<iframe src="https://evil.example/"></iframe><a href="javascript:alert(1)">x</a></body></html>`;
    await env.DB.prepare(
      `INSERT INTO email_messages (id, template, category, to_address, subject, html, text, headers, status, provider, attempts, created_at, updated_at, sent_at)
       VALUES (?, 'welcome', 'transactional', ?, ?, ?, ?, ?, 'sent', 'mailbox', 1, ?, ?, ?)`,
    )
      .bind(
        id,
        to,
        `Subject ${HOSTILE}`,
        html,
        `Hello ${HOSTILE}`,
        JSON.stringify({ "List-Unsubscribe": `<${HOSTILE}>` }),
        Date.now(),
        Date.now(),
        Date.now(),
      )
      .run();

    const list = await browser.page(`/admin/mailbox?to=${encodeURIComponent(to)}`);
    expect(list).toContain(`href="/admin/mailbox/${id}"`);
    expectInert(list);
    expect(await browser.page("/admin/mailbox?status=bounced")).not.toContain(id);

    const res = await browser.get(`/admin/mailbox/${id}`);
    const page = await res.text();
    expect(res.status).toBe(200);
    expect(res.headers.get("Content-Security-Policy")).toContain("default-src 'none'");
    expectInert(page);
    expect(page).not.toContain('href="javascript:');
    expect(page).not.toMatch(/<iframe|srcdoc/i);
    expect(page).toContain("HTML part (source, not rendered)");
    expect(page).toContain("&lt;iframe src=&quot;https://evil.example/&quot;&gt;");
    expect(page).toContain("Hello &lt;script&gt;alert(");
    expect(page).toContain("List-Unsubscribe");

    expect((await browser.get("/admin/mailbox/eml_missing")).status).toBe(404);
  });
});

describe("console: cache", () => {
  it("shows the statistics and invalidates a tag through the API (audited)", async () => {
    const { browser, user: admin } = await consoleAs();
    const { ctx, settle } = cacheHarness();
    const tag = unique("console-tag");
    const [a, b] = [unique("console-a"), unique("console-b")];
    await cache.getOrSet(ctx, a, { ttlMs: 600_000, tags: [tag] }, async () => 1);
    await cache.getOrSet(ctx, b, { ttlMs: 600_000, tags: [tag] }, async () => 2);
    await settle();

    const page = await browser.page("/admin/cache");
    for (const label of ["Entries", "Hit ratio", "Approximate size", "Entry limit", "Most hit entries"]) expect(page).toContain(label);
    expect(page).toContain(`href="/admin/cache?tag=${encodeURIComponent(tag)}"`);
    expect(await browser.page(`/admin/cache?tag=${encodeURIComponent(tag)}`)).toContain(`name="tag" value="${tag}"`);

    const res = await browser.post("/admin/cache/invalidate", { tag });
    expect(res.headers.get("Location")).toBe("/admin/cache");
    expect(flashOf(await browser.page("/admin/cache"))).toEqual({ kind: "success", text: `Tag ${tag} invalidated: 2 entries dropped.` });
    const left = await env.DB.prepare("SELECT COUNT(*) AS n FROM cache_entries WHERE key IN (?, ?)").bind(a, b).first<{ n: number }>();
    expect(left?.n).toBe(0);
    expect(await auditRows(tag)).toEqual([{ action: "cache.invalidated", actor_id: admin.user.id, status: "SUCCESS" }]);

    await browser.post("/admin/cache/invalidate", { tag: "has space" });
    expect(flashOf(await browser.page("/admin/cache"))?.text).toContain("tag: A tag is letters, digits");
  });
});

describe("console: a non-admin's actions", () => {
  it("are refused by the API and change nothing", async () => {
    const { browser, user: student } = await consoleAs("student");
    const other = await createUser();
    const admin = await createUser({ role: "admin" });
    const tag = unique("student-tag");

    expect((await browser.get("/admin/users")).status).toBe(403);
    const posts: Array<[string, Record<string, string>]> = [
      [`/admin/users/${student.user.id}/role`, { role: "admin" }],
      [`/admin/users/${other.user.id}/role`, { role: "instructor" }],
      [`/admin/users/${admin.user.id}/revoke-access`, { reason: "takeover" }],
      ["/admin/cache/invalidate", { tag }],
      [`/admin/events/evt_00000000000000000000000000/subscribers/x/retry`, {}],
    ];
    for (const [path, fields] of posts) {
      const res = await browser.post(path, fields);
      expect(res.status, path).toBe(303);
      const flash = res.headers.getSetCookie().find((cookie) => cookie.startsWith("proctor_console_flash="));
      expect(decodeURIComponent(flash ?? ""), path).toContain('"kind":"error"');
    }
    const roles = await env.DB.prepare("SELECT id, role FROM users WHERE id IN (?, ?)")
      .bind(student.user.id, other.user.id)
      .all<{ id: string; role: string }>();
    expect(Object.fromEntries(roles.results.map((r) => [r.id, r.role]))).toEqual({
      [student.user.id]: "student",
      [other.user.id]: "student",
    });
    expect((await call("/v1/me", { headers: admin.headers })).status).toBe(200);
    expect(await env.DB.prepare("SELECT tag FROM cache_tags WHERE tag = ?").bind(tag).first()).toBeNull();
    const changes = ["user.role_changed", "user.access_revoked", "cache.invalidated", "event.retried"];
    for (const id of [student.user.id, other.user.id, admin.user.id, tag]) {
      expect((await auditRows(id)).filter((row) => row.status === "SUCCESS" && changes.includes(row.action))).toEqual([]);
    }
  });
});

describe("console: the new pages keep the console's rules", () => {
  it("serve a strict CSP, no inline script, style or handler, and scoped table headers", async () => {
    const { browser, user: admin } = await consoleAs();
    const hook = await createWebhook(admin.headers, { url: receiverUrl(), eventTypes: ["question.deleted"] });
    const { event } = await emitEvent("question.deleted", { questionId: "qst_rules", authorId: admin.user.id }, { ownerId: admin.user.id });
    await dispatcher([webhookSubscriber]).run(event.id);
    const [entry] = await seedAudit([{ action: "user.role_changed", changes: { before: { role: "student" }, after: { role: "admin" } } }]);
    const message = newId("email", Date.now());
    await env.DB.prepare(
      `INSERT INTO email_messages (id, template, category, to_address, subject, html, text, headers, status, attempts, created_at, updated_at)
       VALUES (?, 'welcome', 'transactional', 'rules@example.test', 'Rules', '<p style="color:red" onclick="x()">hi</p>', 'hi', '{}', 'queued', 0, ?, ?)`,
    )
      .bind(message, Date.now(), Date.now())
      .run();

    const pages = [
      "/admin/audit",
      "/admin/audit/verify",
      `/admin/audit/${entry!.id}`,
      "/admin/users",
      "/admin/webhooks",
      `/admin/webhooks/${hook.id}`,
      "/admin/events",
      `/admin/events/${event.id}`,
      "/admin/mailbox",
      `/admin/mailbox/${message}`,
      "/admin/cache",
    ];
    for (const path of pages) {
      const res = await browser.get(path);
      const html = await res.text();
      expect(res.status, path).toBe(200);
      const csp = res.headers.get("Content-Security-Policy") ?? "";
      expect(csp, path).toContain("script-src 'self'");
      expect(csp, path).not.toContain("unsafe-inline");
      expect(res.headers.get("Cache-Control"), path).toBe("no-store");
      expect(html, path).not.toMatch(/<script(?![^>]*\ssrc=)/);
      expect(html, path).not.toMatch(/<[^>]*\sstyle=/);
      expect(html, path).not.toMatch(/<[^>]*\son[a-z]+=/);
      expect(html, path).not.toMatch(/<th(?![^>]*\sscope=)[\s>]/);
      expect(html, path).toMatch(/<h1>[^<]+<\/h1>/);
      expect(html, path).toContain('aria-current="page"');
    }
  });
});

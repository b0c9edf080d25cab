import { env } from "cloudflare:workers";
import { describe, expect, it } from "vitest";
import { loadConfig } from "../../src/config";
import { queueEmail } from "../../src/lib/email/outbox";
import { createApiKey, createUser, uniqueEmail } from "../helpers/auth";
import { call, problemOf, sendJson } from "../helpers/http";
import { db, mailboxBindings, requestWith, runCapturedJobs } from "./helpers";

async function queuedWelcome(to = uniqueEmail("box")) {
  const bindings = mailboxBindings();
  const message = await queueEmail(bindings.env, db, loadConfig(bindings.env), {
    template: "welcome",
    to,
    userId: null,
    data: { name: "Ada <i>" },
  });
  await runCapturedJobs(bindings);
  return message!;
}

describe("the mailbox API", () => {
  it("lists messages newest first, filtered, and shows one whole", async () => {
    const admin = await createUser({ role: "admin" });
    const to = uniqueEmail("box");
    const first = await queuedWelcome(to);
    const second = await queuedWelcome(to);
    const list = await call(`/v1/admin/mailbox?to=${encodeURIComponent(to)}`, { headers: admin.headers });
    const page = (await list.json()) as { data: { id: string; status: string }[] };
    expect(page.data.map((m) => m.id)).toEqual([second.id, first.id]);
    expect(page.data[0]!.status).toBe("sent");
    const detail = (await (await call(`/v1/admin/mailbox/${first.id}`, { headers: admin.headers })).json()) as {
      html: string;
      text: string;
    };
    expect(detail.html).toContain("Ada &lt;i&gt;");
    expect(detail.text).toContain("Ada <i>");
    expect((await call("/v1/admin/mailbox/eml_unknown", { headers: admin.headers })).status).toBe(404);
    expect((await call("/v1/admin/mailbox?status=lost", { headers: admin.headers })).status).toBe(400);
  });

  it("is for admins only", async () => {
    const student = await createUser();
    expect((await call("/v1/admin/mailbox", { headers: student.headers })).status).toBe(403);
    expect((await call("/v1/admin/email-templates", { headers: student.headers })).status).toBe(403);
    expect((await call("/v1/admin/email-suppressions", { headers: student.headers })).status).toBe(403);
    expect((await call("/v1/admin/mailbox")).status).toBe(401);
    const admin = await createUser({ role: "admin" });
    const readOnly = await createApiKey(admin.headers, { scopes: ["admin:read"] });
    expect((await sendJson("/v1/admin/email-suppressions", "POST", { email: uniqueEmail() }, readOnly.headers)).status).toBe(403);
  });
});

describe("templates", () => {
  it("lists every template and previews each with its sample data, as JSON, HTML and text", async () => {
    const admin = await createUser({ role: "admin" });
    const list = (await (await call("/v1/admin/email-templates", { headers: admin.headers })).json()) as { data: { name: string }[] };
    expect(list.data.length).toBeGreaterThanOrEqual(13);
    for (const { name } of list.data) {
      const preview = await call(`/v1/admin/email-templates/${name}/preview`, { headers: admin.headers });
      expect(preview.status, name).toBe(200);
      const body = (await preview.json()) as { subject: string; html: string; text: string };
      expect(body.subject.length).toBeGreaterThan(0);
      expect(body.html).toContain("<html");
    }
    const html = await call("/v1/admin/email-templates/welcome/preview?format=html", { headers: admin.headers });
    expect(html.headers.get("Content-Type")).toContain("text/html");
    expect(html.headers.get("Content-Security-Policy")).toContain("sandbox");
    const text = await call("/v1/admin/email-templates/welcome/preview?format=text", { headers: admin.headers });
    expect(text.headers.get("Content-Type")).toContain("text/plain");
    expect((await call("/v1/admin/email-templates/nope/preview", { headers: admin.headers })).status).toBe(404);
  });
});

describe("suppressions", () => {
  it("an admin adds, lists and lifts one; duplicates, unknowns and bad addresses are refused", async () => {
    const admin = await createUser({ role: "admin" });
    const email = uniqueEmail("blocked");
    const added = await sendJson(
      "/v1/admin/email-suppressions",
      "POST",
      { email: email.toUpperCase(), detail: "asked by phone" },
      admin.headers,
    );
    expect(added.status, await added.clone().text()).toBe(201);
    expect(await added.json()).toMatchObject({ email, reason: "manual", createdBy: admin.user.id });
    expect((await sendJson("/v1/admin/email-suppressions", "POST", { email }, admin.headers)).status).toBe(409);
    expect((await problemOf(await sendJson("/v1/admin/email-suppressions", "POST", { email: "not-an-address" }, admin.headers))).code).toBe(
      "validation_failed",
    );
    const listed = (await (await call("/v1/admin/email-suppressions?limit=100", { headers: admin.headers })).json()) as {
      data: { email: string }[];
    };
    expect(listed.data.some((row) => row.email === email)).toBe(true);
    expect(
      (await call(`/v1/admin/email-suppressions/${encodeURIComponent(email)}`, { method: "DELETE", headers: admin.headers })).status,
    ).toBe(204);
    expect(
      (await call(`/v1/admin/email-suppressions/${encodeURIComponent(email)}`, { method: "DELETE", headers: admin.headers })).status,
    ).toBe(404);
    // A literal `%` (found by the fuzzer: it was decoded twice) and other non-addresses are 400s.
    for (const raw of ["SP1ZcW8GRs_oR%25sunwlLKtD", "not-an-address", "%E0%A4%A"]) {
      const res = await call(`/v1/admin/email-suppressions/${raw}`, { method: "DELETE", headers: admin.headers });
      expect(res.status, raw).toBe(400);
    }
  });
});

describe("/dev/mailbox", () => {
  it("shows the local mailbox as a page in development and test, with mail bodies sandboxed", async () => {
    const message = await queuedWelcome();
    const list = await call("/dev/mailbox");
    expect(list.status).toBe(200);
    expect(list.headers.get("Content-Security-Policy")).toContain("default-src 'none'");
    expect(await list.text()).toContain(`/dev/mailbox/${message.id}`);
    const page = await (await call(`/dev/mailbox/${message.id}`)).text();
    expect(page).toContain("<iframe sandbox");
    expect(page).not.toContain("<i>"); // the hostile name stays escaped, inside srcdoc too
  });

  it("does not exist in production", async () => {
    const production = mailboxBindings({
      ENVIRONMENT: "production",
      DEVICE_TOKEN_SECRET: "x".repeat(40),
      EMAIL_LINK_SECRET: "y".repeat(40),
      EXPORT_LINK_SECRET: "z".repeat(40),
      WEBHOOK_ALLOW_LOOPBACK: "false",
    });
    const res = await requestWith(production)("/dev/mailbox");
    expect(res.status).toBe(404);
    expect(env.ENVIRONMENT).toBe("test");
  });
});

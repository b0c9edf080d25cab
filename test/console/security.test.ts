import { env } from "cloudflare:workers";
import { describe, expect, it } from "vitest";
import { newId } from "../../src/lib/ids";
import { ConsoleBrowser, consoleAs } from "../helpers/console";
import { call } from "../helpers/http";

const HOSTILE = `<script>alert("x")</script><img src=x onerror=alert(1)>"'&`;

async function hostileError(): Promise<string> {
  const now = Date.now();
  const id = newId("error", now);
  await env.DB.prepare(
    `INSERT INTO error_logs (id, severity, message, fingerprint, source, stack, headers, body, first_seen_at, last_seen_at, created_at)
     VALUES (?, 'CRITICAL', ?, ?, 'fetch', ?, ?, ?, ?, ?, ?)`,
  )
    .bind(id, HOSTILE, `fp-${id}`, `Error: ${HOSTILE}`, JSON.stringify({ "x-evil": HOSTILE }), HOSTILE, now, now, now)
    .run();
  return id;
}

describe("admin console security", () => {
  it("sends a visitor without a session to sign in, and keeps where they were going", async () => {
    const res = await new ConsoleBrowser().get("/admin/errors?severity=critical");
    expect(res.status).toBe(303);
    expect(res.headers.get("Location")).toBe(`/admin/sign-in?next=${encodeURIComponent("/admin/errors?severity=critical")}`);
  });

  it("refuses a signed-in student with a page that says why", async () => {
    const { browser } = await consoleAs("student");
    const res = await browser.get("/admin");
    expect(res.status).toBe(403);
    expect(await res.text()).toContain("Administrators only");
    const errors = await browser.get("/admin/errors");
    expect(errors.status).toBe(403);
  });

  it("refuses a student's form post through the API's own check, changing nothing", async () => {
    const id = await hostileError();
    const { browser } = await consoleAs("student");
    const res = await browser.post(`/admin/errors/${id}/resolve`, { note: "mine now" });
    expect(res.status).toBe(303);
    const row = await env.DB.prepare("SELECT resolved_at FROM error_logs WHERE id = ?").bind(id).first<{ resolved_at: number | null }>();
    expect(row?.resolved_at).toBeNull();
  });

  it("refuses an action without the page's CSRF token or from another origin", async () => {
    const id = await hostileError();
    const { browser } = await consoleAs();
    await browser.post(`/admin/errors/${id}/resolve`, { _csrf: "forged" });
    await browser.post(`/admin/errors/${id}/resolve`, {}, "https://evil.example");
    const row = await env.DB.prepare("SELECT resolved_at FROM error_logs WHERE id = ?").bind(id).first<{ resolved_at: number | null }>();
    expect(row?.resolved_at).toBeNull();
    expect(await browser.page("/admin/errors")).toContain("CSRF");
  });

  it("renders hostile strings inert: escaped in text, attributes and JSON", async () => {
    const id = await hostileError();
    const { browser } = await consoleAs();
    for (const html of [await browser.page("/admin/errors"), await browser.page(`/admin/errors/${id}`), await browser.page("/admin")]) {
      expect(html).not.toContain("<script>alert");
      expect(html).not.toContain("<img src=x");
    }
    expect(await browser.page(`/admin/errors/${id}`)).toContain("&lt;script&gt;alert(");
  });

  it("serves every page with a strict CSP: no inline script or style, forms only to itself", async () => {
    const { browser } = await consoleAs();
    for (const path of ["/admin", "/admin/errors", "/admin/sign-in", "/admin/no-such-page"]) {
      const res = await browser.get(path);
      const csp = res.headers.get("Content-Security-Policy") ?? "";
      expect(csp).toContain("script-src 'self'");
      expect(csp).toContain("style-src 'self'");
      expect(csp).not.toContain("unsafe-inline");
      expect(csp).toContain("frame-ancestors 'none'");
      expect(res.headers.get("Cache-Control")).toBe("no-store");
      const html = await res.text();
      expect(html).not.toMatch(/<script(?![^>]*\ssrc=)/);
      expect(html).not.toMatch(/<[^>]*\sstyle=/);
      expect(html).not.toMatch(/<[^>]*\son[a-z]+=/);
    }
  });

  it("never redirects off the console: not after signing in, not after an action", async () => {
    const { user } = await consoleAs();
    const browser = new ConsoleBrowser();
    const res = await browser.post("/admin/sign-in", { email: user.user.email, password: user.password, next: "//evil.example/x" });
    expect(res.headers.get("Location")).toBe("/admin");
    const id = await hostileError();
    const action = await browser.post(`/admin/errors/${id}/resolve`, { _back: "https://evil.example" });
    expect(action.headers.get("Location")).toBe("/admin/errors");
  });

  it("refuses a sign-in form posted from another site, and a wrong password with the API's reason", async () => {
    const { user } = await consoleAs();
    const crossSite = await new ConsoleBrowser().post(
      "/admin/sign-in",
      { email: user.user.email, password: user.password },
      "https://evil.example",
    );
    expect(crossSite.status).toBe(403);
    expect(crossSite.headers.getSetCookie()).toEqual([]);
    const wrong = await new ConsoleBrowser().post("/admin/sign-in", { email: user.user.email, password: "not-the-password" });
    expect(wrong.status).toBe(401);
    expect(await wrong.text()).toContain("The email or password is incorrect.");
  });

  it("serves its script and stylesheet itself (Workers static assets), never from a CDN", async () => {
    const { browser } = await consoleAs();
    const html = await browser.page("/admin");
    expect(html).not.toMatch(/(src|href)="https?:\/\//);
    for (const asset of ["/admin/assets/console.js", "/admin/assets/console.css"]) {
      const res = await call(asset);
      expect(res.status, asset).toBe(200);
    }
  });
});

import { env } from "cloudflare:workers";
import { describe, expect, it } from "vitest";
import { newId } from "../../src/lib/ids";
import { consoleAs } from "../helpers/console";

async function trackedError(message: string, severity = "CRITICAL"): Promise<string> {
  const now = Date.now();
  const id = newId("error", now);
  await env.DB.prepare(
    `INSERT INTO error_logs (id, severity, message, fingerprint, occurrences, source, stack, first_seen_at, last_seen_at, created_at)
     VALUES (?, ?, ?, ?, 3, 'request', ?, ?, ?, ?)`,
  )
    .bind(id, severity, message, `fp-${id}`, `Error: ${message}\n    at handler (src/x.ts:1:1)`, now, now, now)
    .run();
  return id;
}

describe("admin console pages", () => {
  it("signs an admin in and shows the overview with charts, queues and security counts", async () => {
    const { browser } = await consoleAs();
    const res = await browser.get("/admin");
    const html = await res.text();
    expect(res.status).toBe(200);
    expect(res.headers.get("Content-Type")).toContain("text/html");
    expect(html).toContain("Requests per minute");
    expect(html).toContain("p95 latency");
    expect(html).toContain('href="/admin/queues/scoring"');
    expect(html).toContain("Open security events");
    expect(await browser.page("/admin?period=7d")).toContain('aria-current="page">7 days');
  });

  it("lists, shows and resolves an error with a note, through the API", async () => {
    const { browser } = await consoleAs();
    const id = await trackedError("Scoring blew up");
    expect(await browser.page("/admin/errors?resolved=false")).toContain(`/admin/errors/${id}`);
    const detail = await browser.page(`/admin/errors/${id}`);
    expect(detail).toContain("at handler (src/x.ts:1:1)");

    const resolved = await browser.post(`/admin/errors/${id}/resolve`, { note: "Fixed in 1.2", _back: `/admin/errors/${id}` });
    expect(resolved.status).toBe(303);
    expect(resolved.headers.get("Location")).toBe(`/admin/errors/${id}`);
    const after = await browser.page(`/admin/errors/${id}`);
    expect(after).toContain("The error is resolved.");
    expect(after).toContain("Fixed in 1.2");
    const row = await env.DB.prepare("SELECT resolution_note FROM error_logs WHERE id = ?").bind(id).first<{ resolution_note: string }>();
    expect(row?.resolution_note).toBe("Fixed in 1.2");
    const audit = await env.DB.prepare("SELECT COUNT(*) AS n FROM audit_logs WHERE target_id = ?").bind(id).first<{ n: number }>();
    expect(audit?.n).toBeGreaterThan(0);
  });
});

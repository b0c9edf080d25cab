import { env } from "cloudflare:workers";
import { describe, expect, it } from "vitest";
import { clock } from "../../src/lib/clock";
import { newId } from "../../src/lib/ids";
import { limiterName } from "../../src/lib/security/rate-limit";
import { consoleAs } from "../helpers/console";
import { envWith, limitedApp } from "../helpers/rate-limit";
import { uniqueIp } from "../helpers/security";

const HOSTILE = `<script>alert("x")</script><img src=x onerror=alert(1)>"'&`;

/** A stored event, as a detector would have written it. */
async function seedEvent(
  fields: {
    type?: string;
    severity?: string;
    status?: string;
    createdAt?: number;
    ip?: string;
    details?: unknown;
    city?: string;
    userAgent?: string;
  } = {},
) {
  const createdAt = fields.createdAt ?? clock.now();
  const id = newId("securityEvent", createdAt);
  await env.DB.prepare(
    `INSERT INTO security_events (id, type, severity, status, actor_id, ip, user_agent, country, city, latitude, longitude, details, created_at, updated_at)
     VALUES (?, ?, ?, ?, 'usr_target', ?, ?, 'DE', ?, 52.52, 13.405, ?, ?, ?)`,
  )
    .bind(
      id,
      fields.type ?? "brute_force",
      fields.severity ?? "HIGH",
      fields.status ?? "OPEN",
      fields.ip ?? uniqueIp(),
      fields.userAgent ?? "curl/8",
      fields.city ?? "Berlin",
      JSON.stringify(fields.details ?? { failures: 7 }),
      createdAt,
      createdAt,
    )
    .run();
  return id;
}

const eventRow = (id: string) =>
  env.DB.prepare("SELECT status, resolution_note FROM security_events WHERE id = ?")
    .bind(id)
    .first<{ status: string; resolution_note: string | null }>();

const searchPolicy = envWith({
  RATE_LIMIT_POLICIES: JSON.stringify({
    search: {
      limit: 1,
      windowSeconds: 60,
      block: { breaches: 2, periodSeconds: 300, baseSeconds: 600, multiplier: 2, maxSeconds: 3600, resetAfterSeconds: 3600 },
    },
  }),
});

/** Breaches the `search` limit with `key` until the limiter blocks it (limit 1, two breaches block for 10 min). */
async function blockKey(key: string) {
  const { request } = limitedApp({ policy: "search", key: () => key });
  const statuses: number[] = [];
  for (let i = 0; i < 3; i++) statuses.push((await request("/t/limited", {}, searchPolicy)).status);
  expect(statuses).toEqual([200, 429, 429]);
}

const blockedUntil = async (key: string) =>
  (await env.RATE_LIMITER.get(env.RATE_LIMITER.idFromName(limiterName("search", key))).blockState(clock.now())).blockedUntil;

/** A key with every character a path or a query could trip on, and markup; `tag` tells it apart. */
function nastyKey(): { key: string; tag: string } {
  const tag = crypto.randomUUID().slice(0, 8);
  return { key: `email:o'hara+${tag}/a?b#c%2F d<b>@example.test`, tag };
}

describe("console: security events", () => {
  it("lists events with filters (uppercase enums, times as UTC), live and cursor-paginated", async () => {
    const { browser } = await consoleAs();
    const ip = uniqueIp();
    const base = Date.parse("2032-07-01T08:00:00Z");
    const ids: string[] = [];
    for (let i = 0; i < 51; i++) ids.push(await seedEvent({ ip, createdAt: base + i * 1000, severity: i === 50 ? "CRITICAL" : "HIGH" }));
    const resolved = await seedEvent({ ip, type: "impossible_travel", status: "RESOLVED", createdAt: base + 120_000 });

    const page = await browser.page(`/admin/security?ip=${ip}&status=OPEN`);
    expect(page).toMatch(/id="security-live" data-refresh="\d+"/);
    expect(page).toContain(`/admin/security/${ids[50]}`);
    expect(page).not.toContain(`/admin/security/${ids[0]}"`);
    expect(page).not.toContain(`/admin/security/${resolved}`);
    const next = /href="(\/admin\/security\?[^"]*cursor=[^"]+)"/.exec(page)?.[1];
    expect(next).toBeDefined();
    const second = await browser.page(next!.replaceAll("&amp;", "&"));
    expect(second).toContain(`/admin/security/${ids[0]}`);
    expect(second).not.toContain(`/admin/security/${ids[50]}"`);

    const critical = await browser.page(`/admin/security?ip=${ip}&severity=CRITICAL`);
    expect(critical).toContain(`/admin/security/${ids[50]}`);
    expect(critical).not.toContain(`/admin/security/${ids[49]}`);
    const byType = await browser.page(`/admin/security?ip=${ip}&type=impossible_travel`);
    expect(byType).toContain(`/admin/security/${resolved}`);
    expect(byType).not.toContain(`/admin/security/${ids[50]}`);
    const window = await browser.page(`/admin/security?ip=${ip}&from=2032-07-01T08%3A01&to=2032-07-01T08%3A03`);
    expect(window).toContain(`/admin/security/${resolved}`);
    expect(window).not.toContain(`/admin/security/${ids[0]}`);
    expect(window).toContain('value="2032-07-01T08:01"');

    expect(await browser.page("/admin/security?from=last-week")).toContain("These filters were refused");
  });

  it("shows an event with its details and place, and triages it with required notes into its history", async () => {
    const { browser, user } = await consoleAs();
    const id = await seedEvent({ details: { failures: 9, usernames: ["root", "admin"] } });
    const detail = await browser.page(`/admin/security/${id}`);
    expect(detail).toContain("Berlin, DE (52.52, 13.405)");
    expect(detail).toContain("&quot;failures&quot;: 9");
    expect(detail).toContain("Nobody has triaged this event yet.");
    expect(detail).toContain(`action="/admin/security/${id}/triage"`);
    expect(detail).toContain('aria-label="Security views"');

    // The note is required: the API refuses a blank one and nothing changes.
    await browser.post(`/admin/security/${id}/triage`, { status: "INVESTIGATING", note: "  " });
    expect(await browser.page(`/admin/security/${id}`)).toContain("flash-error");
    expect((await eventRow(id))?.status).toBe("OPEN");

    const res = await browser.post(`/admin/security/${id}/triage`, { status: "INVESTIGATING", note: "Looking at the login log" });
    expect(res.status).toBe(303);
    expect(res.headers.get("Location")).toBe(`/admin/security/${id}`);
    expect(await browser.page(`/admin/security/${id}`)).toContain("The event is now investigating.");
    await browser.post(`/admin/security/${id}/triage`, { status: "FALSE_POSITIVE", note: "A load test from our own office" });
    expect(await eventRow(id)).toEqual({ status: "FALSE_POSITIVE", resolution_note: "A load test from our own office" });

    const after = await browser.page(`/admin/security/${id}`);
    expect(after).toContain("Triage history");
    expect(after).toContain("Looking at the login log");
    expect(after).toContain("A load test from our own office");
    expect(after).toContain(user.user.id);
    expect(after.indexOf("Looking at the login log")).toBeLessThan(
      after.indexOf("A load test from our own office", after.indexOf("Triage history")),
    );
    // From FALSE_POSITIVE the only move is back to INVESTIGATING; a move the API forbids is refused with its reason.
    expect(after).toContain('<option value="INVESTIGATING"');
    expect(after).not.toContain('<option value="RESOLVED"');
    await browser.post(`/admin/security/${id}/triage`, { status: "RESOLVED", note: "skip ahead" });
    expect(await browser.page(`/admin/security/${id}`)).toMatch(/flash-error[^>]*>[^<]*cannot move to RESOLVED/);
    expect((await eventRow(id))?.status).toBe("FALSE_POSITIVE");

    expect((await browser.get("/admin/security/sev_nope")).status).toBe(404);
    expect((await browser.get(`/admin/security/sev_${"0".repeat(26)}`)).status).toBe(404);
  });

  it("renders hostile event details, user agents and places inert", async () => {
    const { browser } = await consoleAs();
    const ip = uniqueIp();
    const id = await seedEvent({ ip, details: { [HOSTILE]: HOSTILE, path: HOSTILE }, city: HOSTILE, userAgent: HOSTILE });
    await browser.post(`/admin/security/${id}/triage`, { status: "INVESTIGATING", note: `note ${HOSTILE}` });
    for (const html of [await browser.page(`/admin/security?ip=${ip}`), await browser.page(`/admin/security/${id}`)]) {
      expect(html).not.toContain("<script>alert");
      expect(html).not.toContain("<img src=x");
      expect(html).toContain("&lt;script&gt;alert(");
      expect(html).not.toMatch(/<[^>]*\son[a-z]+=/);
    }
  });

  it("refuses a student's triage through the API's own check, changing nothing", async () => {
    const id = await seedEvent();
    const { browser } = await consoleAs("student");
    expect((await browser.get(`/admin/security/${id}`)).status).toBe(403);
    const res = await browser.post(`/admin/security/${id}/triage`, { status: "RESOLVED", note: "mine now" });
    expect(res.status).toBe(303);
    expect(await eventRow(id)).toEqual({ status: "OPEN", resolution_note: null });
  });
});

describe("console: blocked keys and the rate-limit log", () => {
  it("lists a blocked key and unblocks it (its key encoded as one path segment), audited", async () => {
    const { browser, user } = await consoleAs();
    const { key, tag } = nastyKey();
    await blockKey(key);
    expect(await blockedUntil(key)).not.toBeNull();

    const blocks = await browser.page("/admin/security/blocks?policy=search&keyKind=email");
    expect(blocks).toContain('aria-label="Security views"');
    expect(blocks).toContain("o&#39;hara+");
    expect(blocks).not.toContain("d<b>@");
    expect(blocks).toMatch(new RegExp(`name="key" value="email:o&#39;hara\\+${tag}/a\\?b#c%2F d&lt;b&gt;@example.test"`));

    const res = await browser.post("/admin/security/blocks/unblock", {
      policy: "search",
      key,
      _back: "/admin/security/blocks?policy=search",
    });
    expect(res.headers.get("Location")).toBe("/admin/security/blocks?policy=search");
    const after = await browser.page("/admin/security/blocks?policy=search");
    expect(after).toContain("The search block on");
    expect(after).toContain("is lifted.");
    expect(after).not.toMatch(new RegExp(`name="key" value="[^"]*${tag}`));
    expect(await blockedUntil(key)).toBeNull();
    const audit = await env.DB.prepare("SELECT action, actor_id FROM audit_logs WHERE target_id = ?")
      .bind(`search:${key}`)
      .first<{ action: string; actor_id: string }>();
    expect(audit).toEqual({ action: "rate_limit.unblocked", actor_id: user.user.id });
    // The window that imposed the block now says it ended (an earlier window of plain breaches has no end).
    const { results } = await env.DB.prepare("SELECT blocked_until FROM rate_limit_logs WHERE key = ? AND blocked_until IS NOT NULL")
      .bind(key)
      .all<{ blocked_until: number }>();
    expect(results.length).toBeGreaterThan(0);
    for (const row of results) expect(row.blocked_until).toBeLessThanOrEqual(clock.now());

    // Lifting it again: the API has no such block, and the page says so.
    await browser.post("/admin/security/blocks/unblock", { policy: "search", key });
    expect(await browser.page("/admin/security/blocks")).toContain("flash-error");
  });

  it("shows the breach log with its filters, linking a key to its own log", async () => {
    const { browser } = await consoleAs();
    const { key } = nastyKey();
    await blockKey(key);
    const query = new URLSearchParams({ key, blocked: "true", policy: "search" });
    const log = await browser.page(`/admin/security/rate-limits?${query}`);
    expect(log).toContain('aria-current="page">Rate-limit log');
    expect(log).toContain("1 per 60 s");
    expect(log).toContain(`href="/admin/security/rate-limits?${new URLSearchParams({ key }).toString().replaceAll("&", "&amp;")}"`);
    const none = await browser.page(`/admin/security/rate-limits?${new URLSearchParams({ key, blocked: "false" })}`);
    expect(none).toContain("No rate-limit breaches match.");
    expect(await browser.page("/admin/security/rate-limits?from=soon")).toContain("These filters were refused");
  });

  it("refuses a student's unblock through the API's own check: the key stays blocked", async () => {
    const { key } = nastyKey();
    await blockKey(key);
    const { browser } = await consoleAs("student");
    expect((await browser.get("/admin/security/blocks")).status).toBe(403);
    expect((await browser.post("/admin/security/blocks/unblock", { policy: "search", key })).status).toBe(303);
    expect(await blockedUntil(key)).not.toBeNull();
    const audit = await env.DB.prepare("SELECT COUNT(*) AS n FROM audit_logs WHERE target_id = ?")
      .bind(`search:${key}`)
      .first<{ n: number }>();
    expect(audit?.n).toBe(0);
  });

  it("serves its pages under the strict CSP: no inline script, style or handler", async () => {
    const { browser } = await consoleAs();
    const id = await seedEvent({ details: { x: HOSTILE } });
    for (const path of ["/admin/security", "/admin/security/blocks", "/admin/security/rate-limits", `/admin/security/${id}`]) {
      const html = await browser.page(path);
      expect(html).not.toMatch(/<script(?![^>]*\ssrc=)/);
      expect(html).not.toMatch(/<[^>]*\sstyle=/);
      expect(html).not.toMatch(/<[^>]*\son[a-z]+=/);
    }
  });
});

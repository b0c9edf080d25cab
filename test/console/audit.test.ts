import { env } from "cloudflare:workers";
import { describe, expect, it } from "vitest";
import { sealClosedPeriods } from "../../src/lib/audit/seal";
import { consoleAs } from "../helpers/console";
import { seedAudit } from "../observability/seed";

const HOUR = 3_600_000;
const HOSTILE = `<script>alert("x")</script><img src=x onerror=alert(1)>`;
/** What a `datetime-local` control sends: UTC wall-clock time to the minute, no zone. */
const local = (ms: number) => new Date(ms).toISOString().slice(0, 16);
const tag = (label: string) => `${label}-${crypto.randomUUID().slice(0, 8)}`;

describe("console: audit trail", () => {
  it("searches with the API's filters (text, enums, ids, place, times) and pages by cursor", async () => {
    const { browser } = await consoleAs();
    const target = tag("tgt");
    const at = Math.floor(Date.now() / 60_000) * 60_000 - 30 * HOUR;
    const [older, role, failed] = await seedAudit([
      { action: "user.updated", targetType: "user", targetId: target, createdAt: at - HOUR, country: "FR", ip: "203.0.113.9" },
      { action: "user.role_changed", targetType: "user", targetId: target, actorId: "usr_console_filter", createdAt: at, country: "DE" },
      { action: "user.role_changed", status: "FAILURE", targetType: "user", targetId: target, createdAt: at + 60_000, country: "DE" },
    ]);

    const all = await browser.page(`/admin/audit?targetId=${target}`);
    for (const row of [older!, role!, failed!]) expect(all).toContain(`/admin/audit/${row.id}`);

    const cases: Array<[string, string[]]> = [
      [`targetId=${target}&action=user.role_changed`, [role!.id, failed!.id]],
      [`targetId=${target}&status=FAILURE`, [failed!.id]],
      [`targetId=${target}&actorId=usr_console_filter&actorType=user`, [role!.id]],
      [`targetId=${target}&country=fr`, [older!.id]],
      [`targetId=${target}&ip=203.0.113.9`, [older!.id]],
      [`targetType=user&q=${target}&from=${local(at)}&to=${local(at + 60_000)}`, [role!.id]],
    ];
    for (const [query, expected] of cases) {
      const html = await browser.page(`/admin/audit?${query}`);
      for (const row of [older!, role!, failed!]) {
        expect(html.includes(`/admin/audit/${row.id}"`), `${query} → ${row.id}`).toBe(expected.includes(row.id));
      }
    }
    // The filter form keeps what was asked, times shown as the control reads them.
    const kept = await browser.page(`/admin/audit?targetId=${target}&from=${local(at)}&action=user.role_changed`);
    expect(kept).toContain(`value="${target}"`);
    expect(kept).toContain(`value="${local(at)}"`);
    expect(kept).toMatch(/<option value="user.role_changed" selected/);

    // Cursor pagination through the API: 3 rows, 50 per page, so no pager; the API's cursor is followed as given.
    expect(all).not.toContain("Next page");
    const many = await seedAudit(
      Array.from({ length: 55 }, (_, i) => ({ action: "test.updated" as const, targetId: `${target}-p`, createdAt: at + i })),
    );
    const first = await browser.page(`/admin/audit?targetId=${target}-p`);
    const next = /href="(\/admin\/audit\?[^"]*cursor=[^"]+)">Next page/.exec(first)?.[1];
    expect(next).toBeDefined();
    const second = await browser.page(next!.replaceAll("&amp;", "&"));
    expect(second).toContain(`/admin/audit/${many[0]!.id}"`);
    expect(second).not.toContain(`/admin/audit/${many[54]!.id}"`);
    expect(second).toContain("First page");
  });

  it("shows the API's refusal of a filter beside the form, naming the field", async () => {
    const { browser } = await consoleAs();
    const html = await browser.page("/admin/audit?country=DEU&from=2026-01-02T00:00&to=2026-01-01T00:00");
    expect(html).toContain("These filters were refused");
    expect(html).toContain("country: Use a two-letter country code");
    expect(html).toContain("to: `to` must be after `from`");
    expect(html).toContain('name="country"');
  });

  it("shows one entry with its diff field by field, every value escaped", async () => {
    const { browser } = await consoleAs();
    const [entry] = await seedAudit([
      {
        action: "user.role_changed",
        targetType: "user",
        targetId: "usr_diff",
        userAgent: HOSTILE,
        changes: {
          before: { role: "student", name: HOSTILE, bio: "gone" },
          after: { role: "admin", name: HOSTILE, timezone: "Asia/Kolkata" },
        },
        metadata: { reason: HOSTILE },
      },
    ]);
    const html = await browser.page(`/admin/audit/${entry!.id}`);
    expect(html).toContain("Changed fields");
    const row = (field: string) =>
      new RegExp(`<tr class="diff-([a-z]+)"><th scope="row" class="wrap"><code>${field}</code>`).exec(html)?.[1];
    expect(row("role")).toBe("changed");
    expect(row("name")).toBe("unchanged");
    expect(row("bio")).toBe("removed");
    expect(row("timezone")).toBe("added");
    expect(html).toContain("&quot;student&quot;");
    expect(html).toContain("&quot;admin&quot;");
    expect(html).toContain("(absent)");
    expect(html).not.toContain("<script>alert");
    expect(html).not.toContain("<img src=x");
    expect(html).toContain("&lt;script&gt;alert(");
    expect(html).toContain(`href="/admin/audit?targetId=usr_diff"`);

    const missing = await browser.get("/admin/audit/aud_00000000000000000000000000");
    expect(missing.status).toBe(404);
    expect((await browser.get("/admin/audit/not-an-id")).status).toBe(404);
  });

  it("exports the matching entries by streaming the API's file, in each format it offers", async () => {
    const { browser } = await consoleAs();
    const target = tag("exp");
    const rows = await seedAudit([
      { action: "user.updated", targetId: target, createdAt: Date.now() - 5000 },
      { action: "user.updated", targetId: target, createdAt: Date.now() - 4000, metadata: { note: HOSTILE } },
    ]);
    const list = await browser.page(`/admin/audit?targetId=${target}`);
    expect(list).toContain('action="/admin/audit/export"');
    expect(list).toContain(`<input type="hidden" name="targetId" value="${target}"/>`);

    const csv = await browser.get(`/admin/audit/export?targetId=${target}&format=csv`);
    expect(csv.status).toBe(200);
    expect(csv.headers.get("Content-Type")).toContain("text/csv");
    expect(csv.headers.get("Content-Disposition")).toMatch(/^attachment; filename="audit-logs-.*\.csv"$/);
    expect(csv.headers.get("X-Content-Type-Options")).toBe("nosniff");
    const text = await csv.text();
    const lines = text.trim().split(/\r?\n/);
    expect(lines[0]).toMatch(/^id,created_at,action/);
    expect(lines.slice(1).map((line) => line.split(",")[0])).toEqual(rows.map((row) => row.id));

    const ndjson = await browser.get(`/admin/audit/export?targetId=${target}&format=ndjson`);
    expect(ndjson.headers.get("Content-Type")).toContain("application/x-ndjson");
    const records = new TextDecoder()
      .decode(await ndjson.arrayBuffer())
      .trim()
      .split("\n")
      .map((line) => JSON.parse(line) as { id: string });
    expect(records.map((record) => record.id)).toEqual(rows.map((row) => row.id));

    const json = await browser.get(`/admin/audit/export?targetId=${target}&format=json`);
    expect(((await json.json()) as { id: string }[]).map((record) => record.id)).toEqual(rows.map((row) => row.id));

    const refused = await browser.get(`/admin/audit/export?targetId=${target}&format=xml`);
    expect(refused.status).toBe(502);
    expect(await refused.text()).toContain("format:");
    // The export itself is audited by the API, as the admin.
    const audited = await env.DB.prepare("SELECT COUNT(*) AS n FROM audit_logs WHERE action = 'audit.exported'").first<{ n: number }>();
    expect(audited?.n).toBeGreaterThanOrEqual(3);
  });

  it("verifies the seals: PASS with what was checked, then after tampering the FIRST BAD ROW, linked", async () => {
    const { browser } = await consoleAs();
    const start = Math.floor(Date.now() / HOUR) * HOUR - 5 * HOUR;
    const rows = await seedAudit(
      [0, 1].flatMap((hour) =>
        [0, 1, 2].map((i) => ({
          action: "test.updated" as const,
          targetId: `seal-h${hour}r${i}`,
          createdAt: start + hour * HOUR + i * 60_000,
        })),
      ),
    );
    await sealClosedPeriods(env.DB, Date.now());

    const pass = await browser.page("/admin/audit/verify");
    expect(pass).toContain('class="verdict verdict-pass"');
    expect(pass).toMatch(/PASS: the audit trail matches its seals\. Checked \d+ sealed periods? \(0 pruned by retention\) and \d+ entr/);
    expect(pass).toContain("Sealed through");
    expect(pass).not.toContain("verdict-fail");

    // Tamper directly in D1, as an attacker with database access would: a later row, then an earlier one.
    const later = rows[4]!;
    const earlier = rows[1]!;
    await env.DB.prepare("UPDATE audit_logs SET actor_id = 'usr_framed' WHERE id = ?").bind(later.id).run();
    await env.DB.prepare("UPDATE audit_logs SET status = 'FAILURE' WHERE id = ?").bind(earlier.id).run();
    try {
      const fail = await browser.page("/admin/audit/verify");
      expect(fail).toContain('class="verdict verdict-fail"');
      expect(fail).not.toContain("verdict-pass");
      expect(fail).toContain(`First bad row: <a href="/admin/audit/${earlier.id}">${earlier.id}</a> (edited)`);
      // Every finding is listed, each with its own first bad row.
      expect(fail).toContain(`<a href="/admin/audit/${later.id}">`);
      // The linked row opens (the page reads what the database holds now).
      expect(await browser.page(`/admin/audit/${earlier.id}`)).toContain("failure");

      // A range the API refuses is said beside the form.
      const tooLong = await browser.page(`/admin/audit/verify?from=${local(Date.now() - 40 * 24 * HOUR)}`);
      expect(tooLong).toContain("These filters were refused");
    } finally {
      await env.DB.prepare("UPDATE audit_logs SET actor_id = NULL WHERE id = ?").bind(later.id).run();
      await env.DB.prepare("UPDATE audit_logs SET status = 'SUCCESS' WHERE id = ?").bind(earlier.id).run();
    }
    expect(await browser.page("/admin/audit/verify")).toContain("verdict-pass");
  });
});

import { NOTIFICATION_KINDS, type NotificationKind } from "../../src/lib/email/preferences";
import { describe, expect, it } from "vitest";
import { ZodError } from "zod";
import {
  EMAIL_TEMPLATE_NAMES,
  EMAIL_TEMPLATES,
  formatDate,
  formatDay,
  formatMoney,
  isEmailTemplateName,
  maskEmail,
  renderEmail,
  type EmailCategory,
  type EmailTemplateName,
  type RenderContext,
} from "../../src/lib/email/templates";

const ctx: RenderContext = { appName: "Proctor", appUrl: "https://app.proctor.example" };
const HOSTILE = `<script>alert("x")</script> & 'q' "d"`;
const HOSTILE_ESCAPED = "&lt;script&gt;alert(&quot;x&quot;)&lt;/script&gt; &amp; &#39;q&#39; &quot;d&quot;";
const INJECTED = "Mock Test\r\nBcc: evil@x.com";

const escapeHtml = (value: string) =>
  value.replace(/&/g, "&amp;").replace(/</g, "&lt;").replace(/>/g, "&gt;").replace(/"/g, "&quot;").replace(/'/g, "&#39;");

const sampleOf = (name: EmailTemplateName) => structuredClone(EMAIL_TEMPLATES[name].sample) as Record<string, unknown>;

/** Every string in a value, with its dotted path (`sections.0.title`). */
function stringLeaves(value: unknown, path: string[] = []): { path: string[]; value: string }[] {
  if (typeof value === "string") return [{ path, value }];
  if (value && typeof value === "object") return Object.entries(value).flatMap(([key, child]) => stringLeaves(child, [...path, key]));
  return [];
}

function withLeaf(data: unknown, path: string[], replacement: unknown): Record<string, unknown> {
  const copy = structuredClone(data) as Record<string, unknown>;
  let node: Record<string, unknown> = copy;
  for (const key of path.slice(0, -1)) node = node[key] as Record<string, unknown>;
  node[path.at(-1)!] = replacement;
  return copy;
}

const hrefsIn = (html: string) => [...html.matchAll(/href="([^"]*)"/g)].map((match) => match[1]!);
const isUrlField = (path: string[]) => /Url$/.test(path.at(-1)!);

describe("the registry", () => {
  it("has one template per name, each declaring its kind consistently", () => {
    expect(Object.keys(EMAIL_TEMPLATES).sort()).toEqual([...EMAIL_TEMPLATE_NAMES].sort());
    for (const name of EMAIL_TEMPLATE_NAMES) {
      const template = EMAIL_TEMPLATES[name];
      expect(template.name).toBe(name);
      expect(template.description.length).toBeGreaterThan(10);
      expect(template.description).not.toContain("\n");
      if (template.category === "notification") expect(NOTIFICATION_KINDS).toContain(template.preference);
      else expect(template.preference).toBeNull();
      expect(template.data.safeParse(template.sample).success, name).toBe(true);
    }
  });

  it("marks exactly the mails that carry a token link as sensitive", () => {
    const sensitive = EMAIL_TEMPLATE_NAMES.filter((name) => EMAIL_TEMPLATES[name].sensitive);
    expect(sensitive.sort()).toEqual(["email_change_confirm", "password_reset", "verify_email"]);
  });

  it("notifications are results, grading and the weekly summary, each with its own preference; the rest is transactional", () => {
    const notifications: Partial<Record<EmailTemplateName, NotificationKind>> = {
      result_ready: "resultReady",
      subjective_graded: "subjectiveGraded",
      weekly_summary: "weeklySummary",
    };
    for (const name of EMAIL_TEMPLATE_NAMES) {
      const category: EmailCategory = notifications[name] ? "notification" : "transactional";
      expect(EMAIL_TEMPLATES[name].category, name).toBe(category);
      expect(EMAIL_TEMPLATES[name].preference, name).toBe(notifications[name] ?? null);
    }
  });

  it("tells template names from other strings", () => {
    expect(isEmailTemplateName("welcome")).toBe(true);
    expect(isEmailTemplateName("weekly_summary")).toBe(true);
    expect(isEmailTemplateName("Welcome")).toBe(false);
    expect(isEmailTemplateName("toString")).toBe(false);
    expect(isEmailTemplateName("")).toBe(false);
  });
});

describe("every template renders its sample", () => {
  it.each(EMAIL_TEMPLATE_NAMES)("%s", async (name) => {
    const sample = sampleOf(name);
    const email = await renderEmail(name, sample, ctx);
    expect(email.subject.length).toBeGreaterThan(0);
    expect(email.subject.length).toBeLessThanOrEqual(200);
    expect(email.html).toContain("<html");
    expect(email.html).toContain("max-width:600px");
    expect(email.text.length).toBeGreaterThan(0);
    expect(email.text).not.toMatch(/<[a-z]|&amp;|&lt;/);
    expect(email.text).toContain(sample.name as string);

    // Self-contained: nothing runs, nothing is fetched from elsewhere.
    expect(email.html).not.toMatch(/<script|<img|<link|<iframe|<form|\ssrc=|url\(/i);
    // The preheader is first in the body, hidden.
    expect(email.html).toMatch(/<body[^>]*>\s*<div style="display:none[^"]*">[^<]+/);

    const links = stringLeaves(sample).filter((leaf) => /^https?:\/\//.test(leaf.value));
    for (const link of links) {
      expect(email.text, link.path.join(".")).toContain(link.value);
      expect(email.html, link.path.join(".")).toContain(escapeHtml(link.value));
      if (isUrlField(link.path)) expect(hrefsIn(email.html)).toContain(escapeHtml(link.value));
    }
    // Every mail with a call to action writes its link out in the text part too.
    for (const href of hrefsIn(email.html)) expect(email.text).toContain(href.replace(/&amp;/g, "&"));
  });

  it("has readable subjects", async () => {
    const subject = async (name: EmailTemplateName, changes: Record<string, unknown> = {}) =>
      (await renderEmail(name, { ...sampleOf(name), ...changes }, ctx)).subject;
    expect(await subject("verify_email")).toBe("Verify your email for Proctor");
    expect(await subject("result_ready", { provisional: false })).toBe("Your result for GATE CS Mock Test 3: 72.5/100");
    expect(await subject("result_ready")).toBe("Your result for GATE CS Mock Test 3: 72.5/100 (provisional)");
    expect(await subject("weekly_summary")).toBe("Your Proctor week: 5 h 20 min of study");
    expect(await subject("weekly_summary", { studyMinutes: 0 })).toBe("Your Proctor week: no study time logged");
    expect(await subject("subjective_graded")).toBe("Your answer in GATE CS Mock Test 3 was graded: 4/5");
  });
});

describe("hostile values", () => {
  /** The sample with every string field the schema takes free text in (names, titles, …) set to HOSTILE. */
  function hostileSample(name: EmailTemplateName) {
    const schema = EMAIL_TEMPLATES[name].data;
    let data = sampleOf(name);
    const replaced: string[] = [];
    for (const leaf of stringLeaves(data)) {
      const candidate = withLeaf(data, leaf.path, HOSTILE);
      if (schema.safeParse(candidate).success) {
        data = candidate;
        replaced.push(leaf.path.join("."));
      }
    }
    return { data, replaced };
  }

  const FREE_TEXT: Record<EmailTemplateName, string[]> = {
    verify_email: ["name"],
    welcome: ["name"],
    password_reset: ["name", "ip"],
    password_changed: ["name", "ip"],
    email_change_confirm: ["name"],
    email_change_notice: ["name"],
    new_device_sign_in: ["name", "ip", "userAgent", "location"],
    result_ready: ["name", "testTitle", "sections.0.title", "sections.2.title"],
    subjective_graded: ["name", "testTitle", "questionExcerpt"],
    subscription_receipt: ["name", "planName", "method", "subscriptionId"],
    payment_failed: ["name", "planName", "reason"],
    webhook_disabled: ["name", "url", "webhookId"],
    weekly_summary: ["name", "goals.0.title", "goals.1.title", "attempts.0.testTitle"],
  };

  it.each(EMAIL_TEMPLATE_NAMES)(
    "%s escapes every name, title and free text in the HTML and keeps it verbatim in the text",
    async (name) => {
      const { data, replaced } = hostileSample(name);
      expect(replaced).toEqual(expect.arrayContaining(FREE_TEXT[name]));
      const email = await renderEmail(name, data, ctx);
      expect(email.html).not.toContain("<script");
      expect(email.html).not.toContain(HOSTILE);
      expect(email.html).not.toMatch(/'q'|"d"/);
      expect(email.html).toContain("&lt;script&gt;");
      expect(email.html).toContain(HOSTILE_ESCAPED);
      expect(email.text).toContain(HOSTILE);
      expect(email.text).not.toContain("&lt;");
    },
  );

  it("escapes the app name, the app URL and the unsubscribe URL too", async () => {
    const hostileCtx: RenderContext = {
      appName: HOSTILE,
      appUrl: `https://app.example/"><script>alert(1)</script>`,
      unsubscribeUrl: `https://api.example/u?t=1"><script>alert(2)</script>`,
    };
    for (const name of EMAIL_TEMPLATE_NAMES) {
      const email = await renderEmail(name, sampleOf(name), hostileCtx);
      expect(email.html, name).not.toContain("<script");
      expect(email.html, name).toContain(HOSTILE_ESCAPED);
    }
  });

  it.each([
    ["result_ready", "testTitle"],
    ["subjective_graded", "testTitle"],
    ["subscription_receipt", "planName"],
    ["payment_failed", "planName"],
  ] as const)("%s: a line break in %s cannot add a header to the subject", async (name, field) => {
    const email = await renderEmail(name, { ...sampleOf(name), [field]: INJECTED }, ctx);
    expect(email.subject).not.toMatch(/[\r\n]/);
    expect(email.subject).toContain("Mock Test Bcc: evil@x.com");
  });

  it("subjects lose every control character and collapse whitespace", async () => {
    const title = "A\u0000B\tC\u000b\u000c\u0085D\u2028E\u001b[31m   F\r";
    const { subject } = await renderEmail("result_ready", { ...sampleOf("result_ready"), testTitle: title, provisional: false }, ctx);
    expect(subject).toBe("Your result for A B C D E [31m F: 72.5/100");
    expect(subject).not.toMatch(/\p{Cc}/u);
  });

  it("caps the subject at 200 characters", async () => {
    const { subject } = await renderEmail("result_ready", { ...sampleOf("result_ready"), testTitle: "Long ".repeat(60).trim() }, ctx);
    expect(subject.length).toBeLessThanOrEqual(200);
    expect(subject.endsWith("…")).toBe(true);
    const emoji = await renderEmail("result_ready", { ...sampleOf("result_ready"), testTitle: "😀".repeat(150) }, ctx);
    expect(emoji.subject.length).toBeLessThanOrEqual(200);
    expect(emoji.subject.isWellFormed()).toBe(true);
  });

  it("removes control characters (but not line feeds) from the text part", async () => {
    const email = await renderEmail("welcome", { name: "Ada\u0000\u001b[2J\r\nLovelace" }, ctx);
    expect(email.text).toContain("Hi Ada[2J\nLovelace,");
    expect(email.text).not.toMatch(/(?!\n)\p{Cc}/u);
  });

  const SCRIPT_URLS = [
    "javascript:alert(1)",
    "JaVaScRiPt:alert(1)",
    " javascript:alert(1)",
    "java\nscript:alert(1)",
    "data:text/html,<b>x</b>",
    "/relative",
  ];

  it("the schemas refuse links that are not absolute http(s) URLs", async () => {
    for (const name of EMAIL_TEMPLATE_NAMES) {
      for (const leaf of stringLeaves(sampleOf(name)).filter((leaf) => isUrlField(leaf.path))) {
        for (const url of SCRIPT_URLS) {
          await expect(renderEmail(name, withLeaf(sampleOf(name), leaf.path, url), ctx), `${name}.${leaf.path}`).rejects.toBeInstanceOf(
            ZodError,
          );
        }
      }
    }
  });

  it("a javascript: URL never reaches an href, even past the schema or from the context", async () => {
    for (const url of SCRIPT_URLS) {
      const scriptCtx: RenderContext = { appName: "Proctor", appUrl: url, unsubscribeUrl: url };
      for (const name of EMAIL_TEMPLATE_NAMES) {
        const template = EMAIL_TEMPLATES[name];
        let data: unknown = sampleOf(name);
        for (const leaf of stringLeaves(data).filter((leaf) => isUrlField(leaf.path))) data = withLeaf(data, leaf.path, url);
        const email = await (template.render as (data: unknown, ctx: RenderContext) => Promise<{ html: string }>)(data, scriptCtx);
        const hrefs = hrefsIn(email.html);
        expect(hrefs.length, name).toBeGreaterThan(0);
        for (const href of hrefs) expect(href === "#" || /^https?:\/\//.test(href), `${name}: ${href}`).toBe(true);
        expect(email.html).not.toMatch(/href="\s*(javascript|data):/i);
      }
    }
  });
});

describe("schema checks", () => {
  it.each([
    ["missing field", "verify_email", { name: "Ada", verifyUrl: "https://app.example/v?token=t" }],
    ["unknown field", "welcome", { name: "Ada", admin: true }],
    ["wrong type", "password_reset", { name: "Ada", resetUrl: "https://app.example/r", expiresInMinutes: "60", ip: null }],
    ["fractional count", "verify_email", { name: "Ada", verifyUrl: "https://app.example/v", expiresInHours: 1.5 }],
    ["bad enum", "password_changed", { name: "Ada", changedAt: "2026-12-03T14:05:00.000Z", ip: null, via: "magic" }],
    ["not a date", "email_change_notice", { name: "Ada", newEmail: "a@b.example", requestedAt: "yesterday" }],
    ["bad currency", "payment_failed", { ...EMAIL_TEMPLATES.payment_failed.sample, currency: "usd$" }],
    [
      "too many sections",
      "result_ready",
      { ...EMAIL_TEMPLATES.result_ready.sample, sections: Array(51).fill({ title: "S", score: 1, maxScore: 1 }) },
    ],
    ["long excerpt", "subjective_graded", { ...EMAIL_TEMPLATES.subjective_graded.sample, questionExcerpt: "x".repeat(201) }],
    [
      "extra key in a row",
      "weekly_summary",
      { ...EMAIL_TEMPLATES.weekly_summary.sample, attempts: [{ testTitle: "T", score: 1, maxScore: 2, x: 1 }] },
    ],
    ["not an object", "welcome", "Ada"],
  ] as const)("throws a ZodError on a %s", async (_case, name, data) => {
    await expect(renderEmail(name, data, ctx)).rejects.toBeInstanceOf(ZodError);
  });
});

describe("the footer", () => {
  const unsubscribeUrl = `https://api.proctor.example/v1/email/unsubscribe?token=usr_1.resultReady.sig&x="<b>'`;

  it("has an Unsubscribe link only when the context gives one, escaped, and its URL in the text part", async () => {
    const without = await renderEmail("result_ready", sampleOf("result_ready"), ctx);
    expect(without.html).not.toContain("Unsubscribe");
    expect(without.text).not.toContain("Unsubscribe");

    const withLink = await renderEmail("result_ready", sampleOf("result_ready"), { ...ctx, unsubscribeUrl });
    expect(withLink.html).toContain(`href="${escapeHtml(unsubscribeUrl)}"`);
    expect(withLink.html).toMatch(/<a href="[^"]*"[^>]*>Unsubscribe<\/a>/);
    expect(withLink.html).not.toContain('"<b>');
    expect(withLink.text).toContain(`Unsubscribe: ${unsubscribeUrl}`);
  });

  it("says why the recipient got the mail", async () => {
    for (const name of EMAIL_TEMPLATE_NAMES) {
      const email = await renderEmail(name, sampleOf(name), ctx);
      expect(email.html, name).toContain("You received this email because");
      expect(email.text, name).toContain("You received this email because");
    }
  });
});

describe("formatting", () => {
  it("formats money from minor units with the currency's symbol", () => {
    expect(formatMoney(1999, "USD")).toBe("$19.99");
    expect(formatMoney(0, "USD")).toBe("$0.00");
    expect(formatMoney(123456, "EUR")).toBe("€1,234.56");
    expect(formatMoney(149900, "INR")).toBe("₹1,499.00");
    expect(formatMoney(1500, "JPY")).toBe("¥1,500");
  });

  it("formats dates in UTC", () => {
    expect(formatDate("2026-12-03T14:05:00.000Z")).toBe("3 Dec 2026, 14:05 UTC");
    expect(formatDate("2026-12-03T23:30:00+05:30")).toBe("3 Dec 2026, 18:00 UTC");
    expect(formatDate("2027-01-01T00:00:00Z")).toBe("1 Jan 2027, 00:00 UTC");
    expect(formatDay("2026-11-23")).toBe("23 Nov 2026");
    expect(formatDay("2026-09-30T23:59:59.999Z")).toBe("30 Sep 2026");
  });

  it("masks an email address", () => {
    expect(maskEmail("jane@example.com")).toBe("j***@example.com");
    expect(maskEmail("j@example.com")).toBe("j***@example.com");
    expect(maskEmail("first.last+tag@sub.example.org")).toBe("f***@sub.example.org");
    expect(maskEmail("not-an-address")).toBe("***");
  });

  it("a receipt shows the amount and the period", async () => {
    const email = await renderEmail("subscription_receipt", sampleOf("subscription_receipt"), ctx);
    for (const part of [email.html, email.text]) {
      expect(part).toContain("$19.99");
      expect(part).toContain("3 Dec 2026 – 3 Jan 2027");
      expect(part).toContain("sub_01JDX3W8Q6N0Z5V1Y2K7T4R9HC");
    }
    expect(email.subject).toBe("Your Proctor receipt: Pro (monthly), $19.99");
  });

  it("the change notice to the old address shows the new one masked only", async () => {
    const email = await renderEmail("email_change_notice", sampleOf("email_change_notice"), ctx);
    for (const part of [email.html, email.text]) {
      expect(part).toContain("a***@newmail.example");
      expect(part).not.toContain("ada@newmail.example");
      expect(part).toContain("3 Dec 2026, 14:05 UTC");
      expect(part).toContain("https://app.proctor.example/forgot-password");
    }
  });
});

describe("template content", () => {
  it("a provisional result says grading is still going on, and lists the sections", async () => {
    const provisional = await renderEmail("result_ready", sampleOf("result_ready"), ctx);
    expect(provisional.text).toContain("still being graded");
    expect(provisional.text).toContain("- Core Computer Science: 48.5/65");
    expect(provisional.html).toMatch(/<td[^>]*>Core Computer Science<\/td><td[^>]*>48.5\/65<\/td>/);
    const final = await renderEmail("result_ready", { ...sampleOf("result_ready"), provisional: false, sections: [] }, ctx);
    expect(final.text).not.toContain("still being graded");
    expect(final.text).not.toContain("Sections");
  });

  it("the weekly summary draws each goal's progress and says so when the week was empty", async () => {
    const busy = await renderEmail("weekly_summary", sampleOf("weekly_summary"), ctx);
    expect(busy.html).toContain('width="31%"');
    expect(busy.text).toContain("- Finish the algorithms syllabus: 12.5 of 40 h (31%), target date 15 Jan 2027");
    expect(busy.text).toContain("23 Nov 2026 – 29 Nov 2026");
    expect(busy.text).toContain("- GATE CS Mock Test 3: 72.5/100");

    const empty = await renderEmail(
      "weekly_summary",
      { ...sampleOf("weekly_summary"), studyMinutes: 0, sessions: 0, goals: [], attempts: [] },
      ctx,
    );
    expect(empty.text).toContain("You didn't log any study time this week");
    expect(empty.text).toContain("You have no goals ahead");
    expect(empty.text).toContain("You didn't take any tests this week");
    expect(empty.html).not.toContain('width="0%"');
  });

  it("password mails say what to do if it wasn't the user", async () => {
    const reset = await renderEmail("password_reset", sampleOf("password_reset"), ctx);
    expect(reset.text).toMatch(/If this wasn't you, ignore this email: your password is unchanged/);
    expect(reset.text).toContain("203.0.113.7");
    expect(reset.text).toContain("expires in 1 hour");
    const noIp = await renderEmail("password_reset", { ...sampleOf("password_reset"), ip: null, expiresInMinutes: 30 }, ctx);
    expect(noIp.text).not.toContain("IP address");
    expect(noIp.text).toContain("expires in 30 minutes");

    const changed = await renderEmail("password_changed", sampleOf("password_changed"), { ...ctx, appUrl: "https://app.proctor.example/" });
    expect(changed.text).toContain("If this wasn't you, reset your password now");
    expect(hrefsIn(changed.html)).toContain("https://app.proctor.example/forgot-password");
  });

  it("a disabled webhook shows its endpoint without the query, and does not link to it", async () => {
    const url = "https://hooks.partner.example/in?secret=s3cr3t";
    const email = await renderEmail("webhook_disabled", { ...sampleOf("webhook_disabled"), url, reason: "gone", failingSince: null }, ctx);
    expect(email.text).toContain("https://hooks.partner.example/in");
    expect(email.text).toContain("410 Gone");
    for (const part of [email.subject, email.html, email.text]) expect(part).not.toContain("s3cr3t");
    expect(hrefsIn(email.html)).not.toContain("https://hooks.partner.example/in");
  });
});

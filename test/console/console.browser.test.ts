import { readFileSync } from "node:fs";
import { createRequire } from "node:module";
import type { Browser, BrowserContext, Page } from "playwright-core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import {
  type ConsoleWorld,
  consoleSections,
  DESKTOP,
  launchBrowser,
  newConsoleContext,
  PHONE,
  signIn,
  startConsoleWorld,
} from "../../scripts/console/harness";

// The admin console in Debian's Chromium (playwright-core), against the Worker under `wrangler dev`
// on a fresh seeded state (scripts/console/harness.ts): what a person does, in the order they do it.
/** axe-core's script (minified: each page parses it again), injected into each page it checks. */
const require = createRequire(import.meta.url);
const AXE_SOURCE = readFileSync(require.resolve("axe-core/axe.min.js"), "utf8");

let world: ConsoleWorld;
let browser: Browser;
/** The admin's browser: every request its pages make, and every error they log (a CSP refusal is one). */
let admin: BrowserContext;
let page: Page;
const requests: string[] = [];
const pageErrors: string[] = [];

beforeAll(async () => {
  [world, browser] = await Promise.all([startConsoleWorld({ hostile: true }), launchBrowser()]);
  admin = await newConsoleContext(browser);
  admin.on("request", (request) => requests.push(request.url()));
  admin.on("response", (response) => {
    if (response.status() >= 400) pageErrors.push(`${response.url()} answered ${response.status()}`);
  });
  admin.on("page", (opened) => watch(opened));
  page = await admin.newPage();
});

afterAll(async () => {
  await browser?.close();
  await world?.stop();
});

function watch(target: Page): void {
  target.on("console", (message) => {
    if (message.type() === "error") pageErrors.push(`${target.url()}: ${message.text()}`);
  });
  target.on("pageerror", (error) => pageErrors.push(`${target.url()}: ${error.message}`));
}

const flash = (target: Page) => target.locator(".flash");

describe("the admin console in a real browser", () => {
  it("signs an admin in through the form and shows the overview: traffic charts, queues, open events, critical errors", async () => {
    await page.goto(`${world.url}/admin/errors`);
    // Not signed in: the sign-in form, which then leads back to the page asked for.
    expect(new URL(page.url()).pathname).toBe("/admin/sign-in");
    await page.goto(`${world.url}/admin`);
    await signIn(page, world.url, world.admin);
    expect(new URL(page.url()).pathname).toBe("/admin");
    await expect.poll(() => page.title()).toBe("Overview · Proctor console");

    const charts = page.locator("figure.chart");
    expect(await charts.count()).toBe(3);
    for (const path of await page.locator("figure.chart path.line").all()) expect(await path.getAttribute("d")).toMatch(/^M[\d.]+,[\d.]+L/);
    expect(await charts.first().locator("figcaption").textContent()).toContain("Requests per minute");

    const queues = page.getByRole("table", { name: "Queues" });
    expect(await queues.locator("tbody tr").count()).toBe(7);
    expect(
      await queues
        .getByRole("row", { name: /emails/ })
        .locator("td")
        .nth(3)
        .textContent(),
    ).toBe("1");
    expect(await page.locator("#open-security ~ ul .tile-value").first().textContent()).toMatch(/^\d+\+?$/);
    await expect.poll(() => page.getByRole("link", { name: "D1_ERROR: database is locked: SQLITE_BUSY" }).count()).toBe(1);
    // console.js ran under the CSP: the live region has its bar.
    expect(await page.locator(".live-bar").textContent()).toContain("Live: updates every 15 s");
  });

  it("resolves an error with a note, and the audit trail records who did it", async () => {
    await page.goto(`${world.url}/admin/errors?severity=critical`);
    await page.getByRole("link", { name: "D1_ERROR: database is locked: SQLITE_BUSY" }).click();
    await page.waitForURL(`**/admin/errors/${world.ids.criticalError}`);
    await page.getByLabel("Note (optional)").fill("Retry with backoff added to the submit path.");
    await page.getByRole("button", { name: "Resolve" }).click();
    await expect.poll(() => flash(page).textContent()).toBe("The error is resolved.");
    expect(new URL(page.url()).pathname).toBe(`/admin/errors/${world.ids.criticalError}`);
    expect(await page.locator("dl.facts").textContent()).toContain("Retry with backoff added to the submit path.");
    expect(await page.getByRole("button", { name: "Resolve" }).count()).toBe(0);

    await page.goto(`${world.url}/admin/audit?targetId=${world.ids.criticalError}`);
    const row = page.locator("tbody tr", { hasText: "error.resolved" });
    expect(await row.count()).toBe(1);
    expect(await row.textContent()).toContain("success");
  });

  it("retries a failed job and follows it to completion on its live page", async () => {
    await page.goto(`${world.url}/admin/jobs/dead-letter`);
    await page.getByRole("link", { name: world.ids.failedJob }).click();
    await page.waitForURL(`**/admin/jobs/${world.ids.failedJob}`);
    expect(await page.locator("p.lead .badge").textContent()).toBe("failed");
    await page.getByRole("button", { name: "Retry" }).click();
    await expect.poll(() => flash(page).textContent()).toBe("The job is queued again, with its attempts reset.");
    // The queue consumer runs it; the page's live region (console.js) shows it finish without a reload.
    await page.evaluate("window.__samePage = true");
    await expect.poll(() => page.locator("p.lead .badge").textContent(), { timeout: 45_000, interval: 1000 }).toBe("completed");
    expect(await page.evaluate("window.__samePage")).toBe(true);
    expect(await page.locator("#job-live").textContent()).toContain('"queued": false');
  });

  it("moves an open security event to investigating with a note", async () => {
    await page.goto(`${world.url}/admin/security?status=OPEN&severity=HIGH`);
    await page.getByRole("link", { name: "brute_force" }).click();
    await page.waitForURL(`**/admin/security/${world.ids.openSecurityEvent}`);
    await page.getByLabel("Move to").selectOption("INVESTIGATING");
    await page.getByLabel(/^Note/).fill("48 failures from one address: blocking it at the edge.");
    await page.getByRole("button", { name: "Save" }).click();
    await expect.poll(() => flash(page).textContent()).toBe("The event is now investigating.");
    expect(await page.locator("p.lead").textContent()).toContain("investigating");
    expect(await page.getByRole("table", { name: /Triage history/ }).textContent()).toContain("48 failures from one address");
  });

  it("verifies the audit trail against its seals: PASS", async () => {
    await page.goto(`${world.url}/admin/audit`);
    await page.getByRole("link", { name: "Verify the trail against its seals" }).click();
    await page.waitForURL("**/admin/audit/verify**");
    const verdict = page.locator(".verdict");
    expect(await verdict.getAttribute("class")).toContain("verdict-pass");
    expect(await verdict.textContent()).toMatch(/PASS: the audit trail matches its seals\. Checked [1-9]\d* sealed periods?/);
  });

  it("refuses a signed-in student with the administrators-only page (403)", async () => {
    const student = await newConsoleContext(browser);
    try {
      const studentPage = await student.newPage();
      await signIn(studentPage, world.url, world.student);
      expect(await studentPage.locator("h1").textContent()).toBe("Administrators only");
      const res = await studentPage.goto(`${world.url}/admin/errors`);
      expect(res?.status()).toBe(403);
      expect(await studentPage.locator("main").textContent()).toContain("not an administrator");
      expect(await studentPage.locator('nav[aria-label="Sections"]').count()).toBe(0);
    } finally {
      await student.close();
    }
  });

  it("shows a hostile error message as text: no markup from it runs", async () => {
    const id = world.ids.hostileError!;
    for (const path of ["/admin/errors", `/admin/errors/${id}`]) {
      await page.goto(`${world.url}${path}`);
      await expect.poll(() => page.getByText(world.hostileMessage, { exact: true }).first().isVisible()).toBe(true);
      expect(await page.evaluate("window.__pwned")).toBeUndefined();
      // No element came out of the string: no image pointing at `x`, no script but the console's own.
      expect(await page.locator('img[src="x"]').count()).toBe(0);
      expect(await page.locator("script").evaluateAll((scripts) => scripts.map((s) => s.getAttribute("src")))).toEqual([
        "/admin/assets/console.js",
      ]);
    }
  });

  it("loads nothing from anywhere but its own origin, and nothing on its pages is refused or fails", async () => {
    expect(requests.length).toBeGreaterThan(10);
    const elsewhere = requests.filter((url) => new URL(url).origin !== world.url);
    expect(elsewhere, `requests to other origins:\n${elsewhere.join("\n")}`).toEqual([]);
    expect(pageErrors, `errors the pages logged:\n${pageErrors.join("\n")}`).toEqual([]);
  });

  it("has no serious or critical accessibility violations (axe-core) on any page, at 1280 px and at 390 px", async () => {
    const pages = await pagesToCheck();
    const state = await admin.storageState();
    const failures: string[] = [];
    // Both widths at once, each in its own context with the CSP bypassed (only there) to inject axe-core.
    await Promise.all(
      [DESKTOP, PHONE].map(async (viewport) => {
        const context = await newConsoleContext(browser, { viewport, bypassCSP: true, storageState: state });
        try {
          const checking = await context.newPage();
          for (const path of pages) failures.push(...(await axeViolations(checking, path, viewport.width)));
        } finally {
          await context.close();
        }
      }),
    );
    expect(failures, `axe-core found serious or critical violations:\n${failures.join("\n")}`).toEqual([]);
    expect(pages.length).toBeGreaterThanOrEqual(4);
  });
});

/** Every console page that answers on this build: the sections, their sub-views and a record of each. */
async function pagesToCheck(): Promise<string[]> {
  const sections = (await consoleSections(page, world.url)).map(([, path]) => path);
  const candidates = [
    "/admin/sign-in",
    ...sections,
    `/admin/errors/${world.ids.criticalError}`,
    "/admin/jobs",
    "/admin/jobs/dead-letter",
    "/admin/queues/emails",
    `/admin/jobs/${world.ids.failedJob}`,
    `/admin/security/${world.ids.openSecurityEvent}`,
    "/admin/security/blocks",
    "/admin/security/rate-limits",
    "/admin/audit/verify",
  ];
  // The first record each list links to (an audit entry, a user, a webhook, an event, a message).
  for (const section of sections) {
    await page.goto(`${world.url}${section}`);
    const href = await page
      .locator(`main a[href^="${section}/"]`)
      .evaluateAll(
        (links, prefix) =>
          links.map((a) => a.getAttribute("href") ?? "").find((h) => /^[^?]+\/[A-Za-z]+_[0-9A-Z]+$/.test(h) && h.startsWith(`${prefix}/`)),
        section,
      );
    if (href) candidates.push(href);
  }
  const found: string[] = [];
  for (const path of new Set(candidates)) {
    const res = await page.request.get(`${world.url}${path}`, { maxRedirects: 0 });
    if (res.status() === 200) found.push(path);
  }
  return found;
}

interface AxeResult {
  violations: Array<{ id: string; impact: string | null; help: string; nodes: Array<{ target: unknown[]; failureSummary?: string }> }>;
}

/** axe-core's serious and critical findings on one page, one readable line per offending element. */
async function axeViolations(target: Page, path: string, width: number): Promise<string[]> {
  await target.goto(`${world.url}${path}`);
  await target.addScriptTag({ content: AXE_SOURCE });
  const result = (await target.evaluate("axe.run(document, { resultTypes: ['violations'] })")) as AxeResult;
  return result.violations
    .filter((violation) => violation.impact === "serious" || violation.impact === "critical")
    .flatMap((violation) =>
      violation.nodes.map(
        (node) =>
          `${width}px ${path}: [${violation.impact}] ${violation.id} (${violation.help}) at ${JSON.stringify(node.target)}: ${(node.failureSummary ?? "").replace(/\s+/g, " ")}`,
      ),
    );
}

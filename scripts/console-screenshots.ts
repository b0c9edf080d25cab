/**
 * `npm run console:screenshots`: a PNG of every admin console page in docs/console/, taken in Debian's
 * Chromium from the Worker under `wrangler dev` on a fresh, seeded world (scripts/console/harness.ts):
 * three hours of traffic, errors, a failed job, open security events, webhooks and the audit trail.
 * 1280 px wide, and the overview once more at a phone's 390 px. Run it after changing a page's look.
 */
import { mkdirSync } from "node:fs";
import { join } from "node:path";
import type { Page } from "playwright-core";
import { DESKTOP, launchBrowser, newConsoleContext, PHONE, signIn, startConsoleWorld, type ConsoleWorld } from "./console/harness";

const OUT_DIR = "docs/console";
/** Long lists are cut here: the top of a page shows what it is. */
const MAX_HEIGHT = 1500;

/** Each screenshot's file name and the page it shows. */
function shots(world: ConsoleWorld): Array<[string, string]> {
  return [
    ["overview", "/admin"],
    ["errors", "/admin/errors"],
    ["error", `/admin/errors/${world.ids.criticalError}`],
    ["queues", "/admin/queues"],
    ["dead-letter", "/admin/jobs/dead-letter"],
    ["job", `/admin/jobs/${world.ids.failedJob}`],
    ["security", "/admin/security"],
    ["security-event", `/admin/security/${world.ids.openSecurityEvent}`],
    ["audit", "/admin/audit"],
    ["audit-verify", "/admin/audit/verify"],
    ["users", "/admin/users"],
    ["webhooks", "/admin/webhooks"],
    ["events", "/admin/events"],
    ["mailbox", "/admin/mailbox"],
    ["cache", "/admin/cache"],
  ];
}

async function shoot(page: Page, url: string, name: string): Promise<void> {
  const res = await page.goto(url);
  if (res?.status() !== 200) throw new Error(`${url} answered ${res?.status()}`);
  const height = Math.min(MAX_HEIGHT, await page.evaluate<number>("document.documentElement.scrollHeight"));
  const width = page.viewportSize()?.width ?? DESKTOP.width;
  const path = join(OUT_DIR, `${name}.png`);
  await page.screenshot({ path, fullPage: true, clip: { x: 0, y: 0, width, height }, animations: "disabled", caret: "hide" });
  console.log(`  ${path}`);
}

/** Waits (up to 30 s) until no queue has jobs waiting or running: the events, mails and deliveries have landed. */
async function settle(page: Page, url: string): Promise<void> {
  const deadline = Date.now() + 30_000;
  while (Date.now() < deadline) {
    const res = await page.request.get(`${url}/v1/admin/queues`);
    const { data } = (await res.json()) as { data: Array<{ waiting: number; active: number }> };
    if (data.every((queue) => queue.waiting === 0 && queue.active === 0)) return;
    await page.waitForTimeout(500);
  }
}

async function main(): Promise<void> {
  mkdirSync(OUT_DIR, { recursive: true });
  const started = Date.now();
  console.log("Starting the Worker on a fresh seeded state…");
  const world = await startConsoleWorld();
  const browser = await launchBrowser();
  try {
    const context = await newConsoleContext(browser, { viewport: DESKTOP });
    const page = await context.newPage();
    console.log(`Taking screenshots of ${world.url}/admin into ${OUT_DIR}/`);
    await shoot(page, `${world.url}/admin/sign-in`, "sign-in");
    await signIn(page, world.url, world.admin);
    await settle(page, world.url);
    for (const [name, path] of shots(world)) await shoot(page, `${world.url}${path}`, name);

    const phone = await newConsoleContext(browser, { viewport: PHONE, storageState: await context.storageState() });
    await shoot(await phone.newPage(), `${world.url}/admin`, "overview-phone");
  } finally {
    await browser.close();
    await world.stop();
  }
  console.log(`Done in ${((Date.now() - started) / 1000).toFixed(0)} s.`);
}

main().catch((error: unknown) => {
  console.error(error);
  process.exitCode = 1;
});

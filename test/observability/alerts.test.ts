import { env } from "cloudflare:workers";
import { describe, expect, it, vi } from "vitest";
import { clock } from "../../src/lib/clock";
import { sendAlert } from "../../src/lib/monitoring/alerts";
import { testApp } from "../helpers/test-app";
import { captured, capturePath } from "./capture";

function appThatCrashes() {
  const { app, request } = testApp();
  app.get("/__test/crash", (c) => {
    throw new RangeError(`ledger out of balance ${c.req.query("label")}`);
  });
  app.get("/__test/soft-error", (c) => {
    c.var.logger.error(`soft failure ${c.req.query("label")}`);
    return c.text("ok");
  });
  return request;
}

describe("alerts", () => {
  it("sends one Slack-compatible alert per fingerprint per quiet period, off the response path", async () => {
    const hook = capturePath("alerts");
    const bindings = { ...env, ALERT_WEBHOOK_URL: `${env.CAPTURE_URL}${hook}`, ALERT_QUIET_PERIOD_SECONDS: "60" };
    const request = appThatCrashes();
    const label = crypto.randomUUID().slice(0, 8);

    for (let i = 0; i < 3; i++) expect((await request(`/__test/crash?label=${label}`, {}, bindings)).status).toBe(500);
    let got = await captured(hook);
    expect(got).toHaveLength(1);
    const payload = JSON.parse(got[0]!.body) as { text: string; blocks: { type: string; text?: { text: string } }[] };
    expect(got[0]!.headers["content-type"]).toBe("application/json");
    expect(payload.text).toContain(`[CRITICAL] RangeError: ledger out of balance ${label}`);
    expect(payload.blocks[0]).toMatchObject({ type: "header" });
    expect(JSON.stringify(payload.blocks)).toContain("/__test/crash");

    const row = await env.DB.prepare("SELECT occurrences, last_alerted_at FROM error_logs WHERE message = ?")
      .bind(`ledger out of balance ${label}`)
      .first<{ occurrences: number; last_alerted_at: number | null }>();
    expect(row?.occurrences).toBe(3);
    expect(row?.last_alerted_at).not.toBeNull();

    clock.advance(61_000);
    await request(`/__test/crash?label=${label}`, {}, bindings);
    await request(`/__test/crash?label=${label}`, {}, bindings);
    got = await captured(hook);
    expect(got).toHaveLength(2);
  });

  it("does not alert for plain errors, only critical ones", async () => {
    const hook = capturePath("alerts-soft");
    const bindings = { ...env, ALERT_WEBHOOK_URL: `${env.CAPTURE_URL}${hook}` };
    await appThatCrashes()(`/__test/soft-error?label=${crypto.randomUUID()}`, {}, bindings);
    expect(await captured(hook)).toHaveLength(0);
  });

  it("sendAlert: no webhook means no call; a failing webhook neither throws nor blocks", async () => {
    const spy = vi.spyOn(globalThis, "fetch");
    const pending: Promise<unknown>[] = [];
    expect(await sendAlert(env, { title: "t", severity: "high", text: "x", fingerprint: "fp-none" }, (p) => pending.push(p))).toBe(false);
    expect(spy).not.toHaveBeenCalled();
    spy.mockRestore();

    const failing = { ...env, ALERT_WEBHOOK_URL: `${env.CAPTURE_URL}${capturePath("fail")}` };
    const fingerprint = `fp-${crypto.randomUUID()}`;
    const sent = await sendAlert(failing, { title: "t", severity: "HIGH", text: "x", fingerprint, fields: { ip: "203.0.113.9" } }, (p) =>
      pending.push(p),
    );
    expect(sent).toBe(false);
    expect(pending).toHaveLength(1);

    const hook = capturePath("alerts-direct");
    const ok = { ...env, ALERT_WEBHOOK_URL: `${env.CAPTURE_URL}${hook}` };
    const results = await Promise.all(
      [1, 2, 3].map(() =>
        sendAlert(ok, { title: "Brute force", severity: "critical", text: "many logins", fingerprint: `${fingerprint}-x` }, () => {}),
      ),
    );
    expect(results.filter(Boolean)).toHaveLength(1);
    const [alert] = await captured(hook);
    expect(JSON.parse(alert!.body).text).toContain("[CRITICAL] Brute force");
  });
});

import { env } from "cloudflare:workers";
import { describe, expect, it } from "vitest";
import { createUser } from "../helpers/auth";
import { elf } from "../helpers/files";
import { settle, uniqueIp } from "../helpers/security";
import { testApp } from "../helpers/test-app";
import { captured, capturePath } from "../observability/capture";

describe("alerts for security events", () => {
  it("a HIGH event (malicious upload) raises one Slack-compatible alert", async () => {
    const hook = capturePath("security-high");
    const bindings = { ...env, ALERT_WEBHOOK_URL: `${env.CAPTURE_URL}${hook}` };
    const { user, headers } = await createUser();
    const form = new FormData();
    form.append("file", new File([elf()], "notes.txt", { type: "text/plain" }));
    const res = await testApp().request("/v1/uploads", { method: "POST", headers, body: form }, bindings);
    expect(res.status).toBe(422);

    const got = await captured(hook);
    expect(got).toHaveLength(1);
    const payload = JSON.parse(got[0]!.body) as { text: string; blocks: unknown[] };
    expect(payload.text).toContain("[HIGH] Security event: malicious_upload");
    expect(payload.text).toContain(user.id);
    expect(JSON.stringify(payload.blocks)).toContain("/v1/admin/security-events/sev_");
  });

  it("a MEDIUM event (an injection probe) is recorded without paging anyone", async () => {
    const hook = capturePath("security-medium");
    const bindings = { ...env, ALERT_WEBHOOK_URL: `${env.CAPTURE_URL}${hook}` };
    const res = await testApp().request(
      "/health?q=%3Cscript%3Ealert(1)%3C%2Fscript%3E",
      { headers: { "CF-Connecting-IP": uniqueIp() } },
      bindings,
    );
    expect(res.status).toBe(200);
    await settle(100);
    expect(await captured(hook)).toHaveLength(0);
  });
});

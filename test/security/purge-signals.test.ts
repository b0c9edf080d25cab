import { env } from "cloudflare:workers";
import { describe, expect, it } from "vitest";
import { clock } from "../../src/lib/clock";
import { MAINTENANCE_CRON, runCron } from "../../workers/cron";

describe("purge-security-signals (maintenance cron)", () => {
  it("drops login failures older than a day and expired counters, keeping live state", async () => {
    const now = clock.now();
    const day = 24 * 3600 * 1000;
    await env.DB.batch([
      env.DB.prepare("INSERT INTO login_failures (email_hash, user_id, ip, created_at) VALUES ('old', NULL, '10.9.9.9', ?)").bind(
        now - day - 1000,
      ),
      env.DB.prepare("INSERT INTO login_failures (email_hash, user_id, ip, created_at) VALUES ('fresh', NULL, '10.9.9.9', ?)").bind(
        now - 1000,
      ),
      env.DB.prepare("INSERT INTO security_counters (key, window_start, count, expires_at) VALUES ('actions:old', 0, 3, ?)").bind(now - 1),
      env.DB.prepare("INSERT INTO security_counters (key, window_start, count, expires_at) VALUES ('actions:live', 0, 3, ?)").bind(
        now + 60_000,
      ),
    ]);

    const outcome = await runCron(MAINTENANCE_CRON, env);
    expect(outcome["purge-security-signals"]).toMatchObject({ loginFailures: 1, counters: 1 });

    const failures = await env.DB.prepare("SELECT email_hash FROM login_failures WHERE ip = '10.9.9.9'").all();
    expect(failures.results).toEqual([{ email_hash: "fresh" }]);
    const counters = await env.DB.prepare("SELECT key FROM security_counters WHERE key LIKE 'actions:%'").all();
    expect(counters.results).toEqual([{ key: "actions:live" }]);
  });
});

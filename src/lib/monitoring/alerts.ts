import { loadConfig } from "../../config";
import { clock } from "../clock";
import type { Env } from "../../env";

type AlertSeverity = "info" | "warning" | "error" | "low" | "medium" | "high" | "critical";

export interface Alert {
  title: string;
  severity: AlertSeverity | Uppercase<AlertSeverity>;
  text: string;
  /** Alerts sharing a fingerprint are sent at most once per quiet period (ALERT_QUIET_PERIOD_SECONDS). */
  fingerprint: string;
  fields?: Record<string, string | number | boolean | null>;
}

type WaitUntil = (promise: Promise<unknown>) => void;

const SEVERITY_EMOJI: Record<AlertSeverity, string> = {
  info: ":information_source:",
  low: ":information_source:",
  warning: ":warning:",
  medium: ":warning:",
  error: ":red_circle:",
  high: ":rotating_light:",
  critical: ":rotating_light:",
};

const SEND_TIMEOUT_MS = 5000;
const MAX_TEXT = 2900; // Slack caps a section's text at 3000 characters.

/**
 * Claims the right to alert for `fingerprint` until `now + quietMs`. One conditional upsert, so two
 * isolates racing on the same fingerprint cannot both win.
 */
async function claimAlertSlot(db: D1Database, fingerprint: string, now: number, quietMs: number): Promise<boolean> {
  const row = await db
    .prepare(
      `INSERT INTO cache_entries (key, value, tags, expires_at, hit_count, created_at)
       VALUES (?1, '"alert"', '[]', ?2, 0, ?3)
       ON CONFLICT(key) DO UPDATE SET expires_at = excluded.expires_at, created_at = excluded.created_at
       WHERE cache_entries.expires_at IS NOT NULL AND cache_entries.expires_at <= ?3
       RETURNING key`,
    )
    .bind(`alert:${fingerprint}`.slice(0, 200), now + quietMs, now)
    .first<{ key: string }>();
  return row !== null;
}

/** A Slack-compatible incoming-webhook body: `text` for plain receivers, `blocks` for Slack itself. */
function alertPayload(alert: Alert, env: { environment: string; version: string }) {
  const severity = alert.severity.toLowerCase() as AlertSeverity;
  const headline = `${SEVERITY_EMOJI[severity] ?? ""} [${severity.toUpperCase()}] ${alert.title}`.trim();
  const fields = Object.entries(alert.fields ?? {}).slice(0, 10);
  return {
    text: `${headline}\n${alert.text}`.slice(0, MAX_TEXT),
    blocks: [
      { type: "header", text: { type: "plain_text", text: headline.slice(0, 150) } },
      { type: "section", text: { type: "mrkdwn", text: alert.text.slice(0, MAX_TEXT) || "-" } },
      ...(fields.length > 0
        ? [
            {
              type: "section",
              fields: fields.map(([key, value]) => ({ type: "mrkdwn", text: `*${key}*\n${String(value).slice(0, 500)}` })),
            },
          ]
        : []),
      {
        type: "context",
        elements: [{ type: "mrkdwn", text: `fingerprint \`${alert.fingerprint}\` · ${env.environment} · v${env.version}` }],
      },
    ],
  };
}

/**
 * Posts an alert to ALERT_WEBHOOK_URL off the caller's path (`waitUntil`), at most once per
 * fingerprint per quiet period. Without a webhook configured it does nothing at all. The returned
 * promise (already handed to `waitUntil`) says whether an alert went out; it never rejects.
 */
export function sendAlert(env: Env, alert: Alert, waitUntil: WaitUntil): Promise<boolean> {
  const config = loadConfig(env);
  const url = config.alertWebhookUrl;
  if (!url) return Promise.resolve(false);
  const work = (async () => {
    const now = clock.now();
    if (!(await claimAlertSlot(env.DB, alert.fingerprint, now, config.alertQuietPeriodSeconds * 1000))) return false;
    const res = await fetch(url, {
      method: "POST",
      headers: { "Content-Type": "application/json" },
      body: JSON.stringify(alertPayload(alert, config)),
      signal: AbortSignal.timeout(SEND_TIMEOUT_MS),
    });
    await res.body?.cancel();
    if (!res.ok) throw new Error(`alert webhook answered ${res.status}`);
    return true;
  })().catch((error: unknown) => {
    console.warn(JSON.stringify({ level: "warn", message: "alert not sent", fingerprint: alert.fingerprint, error: String(error) }));
    return false;
  });
  waitUntil(work);
  return work;
}

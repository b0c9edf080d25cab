import { createExecutionContext, waitOnExecutionContext } from "cloudflare:test";
import { env } from "cloudflare:workers";
import { describe, expect, it } from "vitest";
import { CRON_TASKS, runCron } from "../../workers/cron";
import { monitorQueue, monitorScheduled } from "../../src/lib/monitoring/entry-points";
import { captured, envelopeItems } from "./capture";

async function errorRow(message: string) {
  return env.DB.prepare("SELECT source, severity, occurrences FROM error_logs WHERE message = ?")
    .bind(message)
    .first<{ source: string; severity: string; occurrences: number }>();
}

describe("queue and scheduled entry points", () => {
  it("capture an error escaping the queue handler (ErrorLog + Sentry with the queue tag) and rethrow it", async () => {
    const label = crypto.randomUUID().slice(0, 8);
    const projectId = String(900_000 + Math.floor(Math.random() * 90_000));
    const ingest = new URL(env.CAPTURE_URL);
    const bindings = { ...env, SENTRY_DSN: `${ingest.protocol}//k@${ingest.host}/${projectId}` };
    const handler = monitorQueue(async () => {
      throw new Error(`consumer blew up ${label}`);
    });
    const ctx = createExecutionContext();
    const batch = { queue: "proctor-scoring", messages: [] } as unknown as MessageBatch;
    await expect(handler(batch, bindings, ctx)).rejects.toThrow(label);
    await waitOnExecutionContext(ctx);
    expect(await errorRow(`consumer blew up ${label}`)).toMatchObject({ source: "queue", severity: "CRITICAL", occurrences: 1 });
    const [envelope] = await captured(`/api/${projectId}/envelope`);
    const event = envelopeItems(envelope!.body).find((item) => item.type === "event")!.payload;
    expect(event.tags).toMatchObject({ queue: "proctor-scoring", source: "queue" });
  });

  it("capture a failing cron task without stopping the others", async () => {
    const label = crypto.randomUUID().slice(0, 8);
    const cron = `test-cron-${label}`;
    CRON_TASKS[cron] = [
      { name: "explodes", run: () => Promise.reject(new Error(`task failed ${label}`)) },
      { name: "still-runs", run: async () => ({ fine: true }) },
    ];
    try {
      const outcome = await runCron(cron, env);
      expect(outcome["still-runs"]).toEqual({ fine: true });
      expect(await errorRow(`task failed ${label}`)).toMatchObject({ source: "scheduled", severity: "ERROR" });
    } finally {
      delete CRON_TASKS[cron];
    }
    const scheduled = monitorScheduled(async () => {
      throw new Error(`scheduled crashed ${label}`);
    });
    const ctx = createExecutionContext();
    await expect(scheduled({ cron: "* * * * *", scheduledTime: Date.now(), noRetry() {} }, env, ctx)).rejects.toThrow(label);
    await waitOnExecutionContext(ctx);
    expect(await errorRow(`scheduled crashed ${label}`)).toMatchObject({ source: "scheduled", severity: "CRITICAL" });
  });
});

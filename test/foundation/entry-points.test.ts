import {
  createExecutionContext,
  createMessageBatch,
  createScheduledController,
  getQueueResult,
  waitOnExecutionContext,
} from "cloudflare:test";
import { env, exports } from "cloudflare:workers";
import { describe, expect, it } from "vitest";
import worker from "../../src/index";
import { runCron, MAINTENANCE_CRON, RETENTION_CRON } from "../../workers/cron";
import { logicalQueueName } from "../../workers/queue";

describe("the Worker's entry points", () => {
  it("exports fetch, queue, scheduled and the Durable Object class", async () => {
    expect(typeof worker.fetch).toBe("function");
    expect(typeof worker.queue).toBe("function");
    expect(typeof worker.scheduled).toBe("function");
    const mod = await import("../../src/index");
    expect(typeof mod.RateLimiter).toBe("function");
    expect(exports).toBeDefined();
  });

  it("acks a message that is not a job (such as an earlier version's health probe) instead of retrying it", async () => {
    const batch = createMessageBatch("proctor-default", [{ id: "m1", timestamp: new Date(), attempts: 1, body: { kind: "health" } }]);
    const ctx = createExecutionContext();
    await worker.queue(batch, env, ctx);
    const result = await getQueueResult(batch, ctx);
    expect(result.explicitAcks).toContain("m1");
  });

  it("maps deployed queue names to logical ones", () => {
    expect(logicalQueueName("proctor-scoring")).toBe("scoring");
    expect(logicalQueueName("proctor-production-dlq")).toBe("dlq");
  });

  it("runs the scheduled tasks of each trigger", async () => {
    const now = Date.now();
    await env.DB.prepare(
      "INSERT INTO cache_entries (key, value, tags, expires_at, hit_count, created_at) VALUES ('stale', '1', '[]', ?, 0, ?), ('fresh', '1', '[]', ?, 0, ?)",
    )
      .bind(now - 1000, now, now + 60_000, now)
      .run();
    const outcome = await runCron(MAINTENANCE_CRON, env);
    expect(outcome["purge-expired-cache"]).toMatchObject({ deleted: 1 });
    const keys = await env.DB.prepare("SELECT key FROM cache_entries").all<{ key: string }>();
    expect(keys.results.map((row) => row.key)).toEqual(["fresh"]);

    expect(await runCron(RETENTION_CRON, env)).toHaveProperty("purge-expired-sessions");

    const ctx = createExecutionContext();
    await worker.scheduled(createScheduledController({ cron: MAINTENANCE_CRON }), env, ctx);
    await waitOnExecutionContext(ctx);
  });
});

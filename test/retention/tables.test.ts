import { env } from "cloudflare:workers";
import { describe, expect, it } from "vitest";
import {
  cacheEntries,
  errorLogs,
  eventDeliveries,
  events,
  jobs,
  rateLimitLogs,
  sessions,
  webhookDeliveries,
  webhooks,
  type JobStatus,
} from "../../src/db/schema";
import { clock } from "../../src/lib/clock";
import { newId } from "../../src/lib/ids";
import { MAINTENANCE_CRON, runCron } from "../../workers/cron";
import { createUser } from "../helpers/auth";
import { DAY_MS, db, runRetention, surviving } from "./support";

describe("rate-limit log retention (RATE_LIMIT_LOG_RETENTION_DAYS, default 30)", () => {
  it("drops windows past the retention, keeping recent ones and any still holding a block", async () => {
    const now = clock.now();
    const row = (label: string, ageDays: number, blockedUntil: number | null = null) => ({
      id: newId("rateLimitLog", now - ageDays * DAY_MS),
      policy: "api",
      keyKind: "ip" as const,
      key: `ip:retention-${label}-${crypto.randomUUID()}`,
      windowStart: now - ageDays * DAY_MS,
      windowSeconds: 60,
      count: 3,
      limit: 100,
      blockedUntil,
      blockLevel: blockedUntil ? 4 : 0,
      createdAt: now - ageDays * DAY_MS,
      updatedAt: now - ageDays * DAY_MS,
    });
    const old = row("old", 31);
    const oldBlockLifted = row("old-lifted", 40, now - 35 * DAY_MS);
    const oldStillBlocked = row("old-blocked", 31, now + DAY_MS);
    const recent = row("recent", 29);
    await db.insert(rateLimitLogs).values([old, oldBlockLifted, oldStillBlocked, recent]);

    const outcome = await runRetention();
    expect(outcome["prune-rate-limit-logs"]).toEqual({ deleted: 2, complete: true });
    expect(await surviving("rate_limit_logs", "id", [old.id, oldBlockLifted.id, oldStillBlocked.id, recent.id])).toEqual(
      [oldStillBlocked.id, recent.id].sort(),
    );
  });
});

describe("error log retention (ERROR_LOG_RESOLVED_RETENTION_DAYS 30, ERROR_LOG_RETENTION_DAYS 90)", () => {
  it("drops errors resolved long ago and any error not seen for the longer period", async () => {
    const now = clock.now();
    const error = (label: string, lastSeenDays: number, resolvedDays: number | null) => ({
      id: newId("error", now),
      message: `retention ${label}`,
      fingerprint: `retention-${label}-${crypto.randomUUID()}`,
      firstSeenAt: now - 200 * DAY_MS,
      lastSeenAt: now - lastSeenDays * DAY_MS,
      source: "fetch" as const,
      resolvedAt: resolvedDays === null ? null : now - resolvedDays * DAY_MS,
      createdAt: now - 200 * DAY_MS,
    });
    const resolvedLongAgo = error("resolved-old", 40, 31);
    const resolvedRecently = error("resolved-recent", 40, 10);
    const openButStale = error("open-stale", 91, null);
    const openRecurring = error("open-recurring", 1, null);
    await db.insert(errorLogs).values([resolvedLongAgo, resolvedRecently, openButStale, openRecurring]);

    const outcome = await runRetention();
    expect(outcome["prune-error-logs"]).toEqual({ resolved: { deleted: 1, complete: true }, stale: { deleted: 1, complete: true } });
    expect(await surviving("error_logs", "id", [resolvedLongAgo.id, resolvedRecently.id, openButStale.id, openRecurring.id])).toEqual(
      [resolvedRecently.id, openRecurring.id].sort(),
    );
  });

  it("refuses a resolved retention longer than the retention of every error", async () => {
    await expect(runRetention({ ERROR_LOG_RESOLVED_RETENTION_DAYS: "100", ERROR_LOG_RETENTION_DAYS: "90" })).rejects.toThrow(
      /ERROR_LOG_RESOLVED_RETENTION_DAYS/,
    );
  });
});

describe("job retention (JOB_RETENTION_DAYS, default 30)", () => {
  it("drops finished jobs past the retention and never a waiting, running or parked one", async () => {
    const now = clock.now();
    const job = (status: JobStatus, finishedDays: number | null, queue: "default" | "emails" = "default") => ({
      id: newId("job", now - 60 * DAY_MS),
      type: "email.send" as const,
      queue,
      status,
      finishedAt: finishedDays === null ? null : now - finishedDays * DAY_MS,
      createdAt: now - 60 * DAY_MS,
      updatedAt: now - 60 * DAY_MS,
    });
    const doomed = [job("COMPLETED", 31), job("FAILED", 45), job("CANCELLED", 31)];
    const kept = [
      job("COMPLETED", 29),
      job("FAILED", 1),
      job("PENDING", null),
      job("DELAYED", null),
      job("ACTIVE", null),
      // Parked while its queue was paused: PENDING without a message, however old.
      job("PENDING", null, "emails"),
    ];
    // A row per statement: D1 binds at most 100 values per statement.
    for (const row of [...doomed, ...kept]) await db.insert(jobs).values(row);

    const outcome = await runRetention();
    expect(outcome["prune-finished-jobs"]).toEqual({ deleted: 3, complete: true });
    const ids = [...doomed, ...kept].map((j) => j.id);
    expect(await surviving("jobs", "id", ids)).toEqual(kept.map((j) => j.id).sort());

    const shorter = await runRetention({ JOB_RETENTION_DAYS: "7" });
    expect(shorter["prune-finished-jobs"]).toEqual({ deleted: 1, complete: true });
    expect(await surviving("jobs", "id", ids)).toEqual(
      kept
        .filter((j) => j.status !== "COMPLETED")
        .map((j) => j.id)
        .sort(),
    );
  });
});

describe("event retention (EVENT_RETENTION_DAYS, default 30)", () => {
  it("drops processed events past the retention; unprocessed ones stay and deliveries keep their record", async () => {
    const { user } = await createUser();
    const now = clock.now();
    const event = (status: "PENDING" | "PROCESSING" | "PROCESSED" | "FAILED", ageDays: number) => ({
      id: newId("event", now - ageDays * DAY_MS),
      type: "test.published" as const,
      aggregateType: "test",
      aggregateId: "tst_retention",
      status,
      processedAt: status === "PROCESSED" ? now - ageDays * DAY_MS + 1000 : null,
      createdAt: now - ageDays * DAY_MS,
    });
    const processedOld = event("PROCESSED", 31);
    const kept = [event("PROCESSED", 29), event("PENDING", 60), event("PROCESSING", 60), event("FAILED", 60)];
    await db.insert(events).values([processedOld, ...kept]);
    const webhookId = newId("webhook", now);
    const deliveryId = newId("webhookDelivery", now);
    await db.batch([
      db
        .insert(webhooks)
        .values({ id: webhookId, ownerId: user.id, url: "https://hooks.example.test/x", secret: "s", createdAt: now, updatedAt: now }),
      db
        .insert(webhookDeliveries)
        .values({ id: deliveryId, webhookId, eventId: processedOld.id, eventType: "test.published", status: "SUCCESS", createdAt: now }),
      db.insert(eventDeliveries).values([
        { eventId: processedOld.id, subscriber: `webhook:${webhookId}`, status: "SUCCEEDED", attempts: 1, createdAt: now, updatedAt: now },
        { eventId: kept[1]!.id, subscriber: `webhook:${webhookId}`, status: "PENDING", createdAt: now, updatedAt: now },
      ]),
    ]);

    const outcome = await runRetention();
    expect(outcome["prune-processed-events"]).toEqual({ deleted: 1, complete: true });
    expect(await surviving("events", "id", [processedOld.id, ...kept.map((e) => e.id)])).toEqual(kept.map((e) => e.id).sort());
    const delivery = await env.DB.prepare("SELECT event_id, event_type FROM webhook_deliveries WHERE id = ?").bind(deliveryId).first();
    expect(delivery).toEqual({ event_id: null, event_type: "test.published" });
    // Subscriber progress goes with its event (ON DELETE CASCADE); that of a kept event stays.
    expect(await surviving("event_deliveries", "event_id", [processedOld.id, kept[1]!.id])).toEqual([kept[1]!.id]);
  });
});

describe("sessions and cache entries", () => {
  it("purges sessions expired or revoked over a day ago (daily)", async () => {
    const { user } = await createUser();
    const now = clock.now();
    const session = (expiresAt: number, revokedAt: number | null = null) => ({
      id: newId("session", now),
      userId: user.id,
      tokenHash: crypto.randomUUID(),
      createdAt: now - 30 * DAY_MS,
      expiresAt,
      revokedAt,
    });
    const expired = session(now - 2 * DAY_MS);
    const revoked = session(now + 5 * DAY_MS, now - 2 * DAY_MS);
    const justExpired = session(now - 1000);
    const live = session(now + DAY_MS);
    await db.insert(sessions).values([expired, revoked, justExpired, live]);

    const outcome = await runRetention();
    expect(outcome["purge-expired-sessions"]).toMatchObject({ deleted: 2, complete: true });
    expect(await surviving("sessions", "id", [expired.id, revoked.id, justExpired.id, live.id])).toEqual([justExpired.id, live.id].sort());
  });

  it("purges expired cache entries every minute and keeps live and unexpiring ones", async () => {
    const now = clock.now();
    const entry = (label: string, expiresAt: number | null) => ({
      key: `retention:${label}:${crypto.randomUUID()}`,
      value: "1",
      expiresAt,
      createdAt: now,
    });
    const expired = entry("expired", now - 1);
    const live = entry("live", now + 60_000);
    const forever = entry("forever", null);
    await db.insert(cacheEntries).values([expired, live, forever]);
    const outcome = await runCron(MAINTENANCE_CRON, env);
    expect(outcome["purge-expired-cache"]).toMatchObject({ complete: true });
    expect(await surviving("cache_entries", "key", [expired.key, live.key, forever.key])).toEqual([live.key, forever.key].sort());
  });
});

import { index, integer, sqliteTable, text } from "drizzle-orm/sqlite-core";
import { users } from "./users";

export const JOB_TYPES = [
  "attempt.score",
  "email.send",
  "email.send_batch",
  "email.password_reset",
  "email.weekly_summary",
  "export.run",
  "ai.generate_questions",
  "ai.hints",
  "ai.evaluate",
  "index.question",
  "index.test",
  "index.rebuild",
  "event.dispatch",
  "metrics.rollup",
] as const;
export type JobType = (typeof JOB_TYPES)[number];

/** Logical queue names; each maps to one Cloudflare Queue binding. */
export const QUEUE_NAMES = ["default", "scoring", "emails", "exports", "ai", "indexing", "webhooks"] as const;
export type QueueName = (typeof QUEUE_NAMES)[number];

export const JOB_STATUSES = ["PENDING", "DELAYED", "ACTIVE", "COMPLETED", "FAILED", "CANCELLED"] as const;
export type JobStatus = (typeof JOB_STATUSES)[number];

export const jobs = sqliteTable(
  "jobs",
  {
    id: text("id").primaryKey(), // job_
    type: text("type", { enum: JOB_TYPES }).notNull(),
    queue: text("queue", { enum: QUEUE_NAMES }).notNull().default("default"),
    status: text("status", { enum: JOB_STATUSES }).notNull().default("PENDING"),
    priority: integer("priority").notNull().default(0),
    payload: text("payload", { mode: "json" }).$type<Record<string, unknown>>().notNull().default({}),
    result: text("result", { mode: "json" }).$type<unknown>(),
    error: text("error"),
    attempts: integer("attempts").notNull().default(0),
    maxAttempts: integer("max_attempts").notNull().default(3),
    /** 0–100. */
    progress: integer("progress").notNull().default(0),
    progressMessage: text("progress_message"),
    ownerId: text("owner_id").references(() => users.id, { onDelete: "set null" }),
    /** Unique when set, so a retried enqueue cannot create a second job. */
    idempotencyKey: text("idempotency_key").unique(),
    /** At most one job per key waits to start (PENDING or DELAYED); an enqueue while one waits is absorbed by it. */
    coalesceKey: text("coalesce_key"),
    /** Run no earlier than this (DELAYED jobs are enqueued by cron once due). */
    scheduledFor: integer("scheduled_for"),
    /** When the queue message was sent; null = row written but message not yet sent. */
    enqueuedAt: integer("enqueued_at"),
    startedAt: integer("started_at"),
    finishedAt: integer("finished_at"),
    createdAt: integer("created_at").notNull(),
    updatedAt: integer("updated_at").notNull(),
  },
  (t) => [
    index("jobs_queue_status_idx").on(t.queue, t.status),
    index("jobs_status_scheduled_for_idx").on(t.status, t.scheduledFor),
    index("jobs_status_finished_at_idx").on(t.status, t.finishedAt),
    index("jobs_type_created_at_idx").on(t.type, t.createdAt),
    index("jobs_created_at_idx").on(t.createdAt),
    index("jobs_owner_id_idx").on(t.ownerId),
    index("jobs_coalesce_key_status_idx").on(t.coalesceKey, t.status),
  ],
);

export type Job = typeof jobs.$inferSelect;
export type NewJob = typeof jobs.$inferInsert;

/** Pause switch per queue; a missing row means "not paused". */
export const queueStates = sqliteTable("queue_states", {
  queue: text("queue", { enum: QUEUE_NAMES }).primaryKey(),
  paused: integer("paused", { mode: "boolean" }).notNull().default(false),
  pausedAt: integer("paused_at"),
  pausedBy: text("paused_by"),
  updatedAt: integer("updated_at").notNull(),
});

export type QueueState = typeof queueStates.$inferSelect;
export type NewQueueState = typeof queueStates.$inferInsert;

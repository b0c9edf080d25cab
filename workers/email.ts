import { eq } from "drizzle-orm";
import { loadConfig } from "../src/config";
import { jobs, users } from "../src/db/schema";
import { deliverEmails } from "../src/lib/email/deliver";
import { emailLinks } from "../src/lib/email/links";
import { emailMessageRow, insertMessageStatement, messagesLanded, queueTokenEmail } from "../src/lib/email/outbox";
import { EMAIL_TOKEN_LIFETIME_MS } from "../src/lib/email/tokens";
import { WEEKLY_SUMMARY_PAGE_SIZE, weeklySummaryPage, type WeeklySummary } from "../src/lib/email/weekly-summary";
import { guardedInsert } from "../src/lib/guarded-insert";
import { enqueueStatements } from "../src/lib/queue";
import type { JobPayload } from "../src/lib/queue/job-types";
import { PermanentJobError, type JobContext, type JobHandler } from "./job-handler";

/**
 * 429, 5xx and timeouts retry with the job's backoff; any other refusal fails the job (and the
 * message) at once, except a refused batch, whose messages each get a job of their own.
 */
async function deliver(ctx: JobContext, messageIds: string[]) {
  const outcome = await deliverEmails(ctx.db, loadConfig(ctx.env), messageIds, ctx.attempt >= ctx.job.maxAttempts);
  if (outcome.failure) {
    throw outcome.failure.retryable ? new Error(outcome.failure.error) : new PermanentJobError(outcome.failure.error);
  }
  if (outcome.sendAlone) {
    const alone = outcome.sendAlone.map((messageId) =>
      enqueueStatements(ctx.db, "email.send", { messageId }, { idempotencyKey: `email:${messageId}`, maxAttempts: 8 }),
    );
    const [first, ...rest] = alone.flatMap((job) => job.statements);
    await ctx.db.batch([first!, ...rest]);
    await Promise.all(alone.map((job) => job.send(ctx.env)));
  }
  return { sent: outcome.sent, suppressed: outcome.suppressed, sentAlone: outcome.sendAlone?.length ?? 0 };
}

export const sendEmailJob: JobHandler<JobPayload<"email.send">> = (ctx) => deliver(ctx as JobContext, [ctx.payload.messageId]);

export const sendEmailBatchJob: JobHandler<JobPayload<"email.send_batch">> = (ctx) => deliver(ctx as JobContext, ctx.payload.messageIds);

/**
 * A password reset asked for by address. Unknown addresses end here, with nothing sent: the route
 * answered the same 202 before this ran. The token and the mail land in one batch, once per job.
 */
export const passwordResetJob: JobHandler<JobPayload<"email.password_reset">> = async (ctx) => {
  const { db, env, job, payload } = ctx;
  const user = await db
    .select({ id: users.id, email: users.email, name: users.name })
    .from(users)
    .where(eq(users.email, payload.email))
    .get();
  if (!user) return { queued: false };
  const config = loadConfig(env);
  const queued = await queueTokenEmail(env, db, config, {
    template: "password_reset",
    purpose: "password_reset",
    to: user.email,
    userId: user.id,
    dedupeKey: `job:${job.id}`,
    data: (token) => ({
      name: user.name,
      resetUrl: emailLinks(config).resetPassword(token),
      expiresInMinutes: EMAIL_TOKEN_LIFETIME_MS.password_reset / 60_000,
      ip: payload.ip,
    }),
  });
  return { queued };
};

/** Pages one job renders before it hands the rest to the next job (1,000 recipients: well inside a consumer's time). */
const SUMMARY_PAGES_PER_JOB = 10;

/** Renders one page of summaries into messages and queues them as one batch send. Returns how many were new. */
async function queueSummaryPage(ctx: JobContext, weekStart: string, summaries: WeeklySummary[]): Promise<number> {
  const { db, env } = ctx;
  const config = loadConfig(env);
  const rows = await Promise.all(
    summaries.map((summary) =>
      emailMessageRow(config, {
        template: "weekly_summary",
        to: summary.email,
        userId: summary.userId,
        data: summary.data,
        dedupeKey: `weekly:${weekStart}:${summary.userId}`,
      }),
    ),
  );
  const batch = enqueueStatements(db, "email.send_batch", { messageIds: rows.map((row) => row.id) }, { maxAttempts: 8 });
  const [first, ...rest] = rows.map((row) => insertMessageStatement(db, row));
  const results = await db.batch([
    first!,
    ...rest,
    // The send job lands only if some message did (a re-run of the page inserts none).
    guardedInsert(db, jobs, batch.job, messagesLanded(rows.map((row) => row.id))),
  ]);
  await batch.send(env);
  return results.slice(0, rows.length).reduce((sum, result) => sum + result.meta.changes, 0);
}

/**
 * The weekly summaries, SUMMARY_PAGES_PER_JOB pages of opted-in users per job, each page one batch
 * send; then the next job carries on after the last user. Dedupe keys make a re-run queue nothing twice.
 */
export const weeklySummaryJob: JobHandler<JobPayload<"email.weekly_summary">> = async (ctx) => {
  const { db, env, payload } = ctx;
  let after = payload.after;
  let queued = 0;
  for (let page = 0; page < SUMMARY_PAGES_PER_JOB; page++) {
    const summaries = await weeklySummaryPage(db, payload.weekStart, after);
    if (summaries.length > 0) queued += await queueSummaryPage(ctx as JobContext, payload.weekStart, summaries);
    if (summaries.length < WEEKLY_SUMMARY_PAGE_SIZE) return { queued, next: null };
    after = summaries.at(-1)!.userId;
  }
  const next = enqueueStatements(
    db,
    "email.weekly_summary",
    { weekStart: payload.weekStart, after },
    { idempotencyKey: `weekly:${payload.weekStart}:after:${after}` },
  );
  await db.batch(next.statements);
  await next.send(env);
  return { queued, next: after };
};

import { z } from "zod";
import type { JobType, QueueName } from "../../db/schema";

const id = (prefix: string) => z.string().regex(new RegExp(`^${prefix}_[0-9A-HJKMNP-TV-Z]{26}$`), `Must be a ${prefix}_ id`);
const email = z.email().max(320);

/**
 * The payload each job type accepts. A payload that does not parse is refused at enqueue time, so a
 * consumer only ever sees well-formed work. Payloads carry ids, never whole rows (the row may change
 * between enqueue and run; the handler reads the current one).
 */
export const JOB_PAYLOADS = {
  "attempt.score": z.strictObject({ attemptId: id("att") }),
  // Messages are rendered into email_messages when queued; the jobs carry their ids.
  "email.send": z.strictObject({ messageId: id("eml") }),
  "email.send_batch": z.strictObject({ messageIds: z.array(id("eml")).min(1).max(100) }),
  // The reset request's lookup runs here, not in the route, so known and unknown addresses cost the route the same.
  "email.password_reset": z.strictObject({ email, ip: z.string().max(64).nullable() }),
  // One page of the weekly summaries, from the user after `after`; each page queues the next.
  "email.weekly_summary": z.strictObject({ weekStart: z.iso.date(), after: id("usr").optional() }),
  "export.run": z.strictObject({ exportId: id("exp") }),
  // The request as the instructor made it (checked by the route); drafts are written for `requestedBy`.
  "ai.generate_questions": z.strictObject({
    requestedBy: id("usr"),
    subject: z.string().min(1).max(100),
    topic: z.string().min(1).max(100).nullable(),
    difficulty: z.enum(["easy", "medium", "hard"]),
    type: z.enum(["MCQ", "MSQ", "INTEGER", "RANGE", "SUBJECTIVE"]),
    count: z.number().int().min(1).max(20),
    instructions: z.string().max(2000).nullable(),
    language: z.string().max(10),
  }),
  "ai.hints": z.strictObject({ requestedBy: id("usr"), testId: id("tst"), overwrite: z.boolean() }),
  // requestedBy: whose AI allowance pays (the grader who asked, or the test's author for automatic runs).
  "ai.evaluate": z.strictObject({ requestedBy: id("usr"), attemptId: id("att") }),
  "index.question": z.strictObject({ questionId: id("qst") }),
  "index.test": z.strictObject({ testId: id("tst") }),
  "index.rebuild": z.strictObject({}),
  // Without `subscriber`: fan out to every subscriber; with it: that subscriber's retry only.
  "event.dispatch": z.strictObject({ eventId: id("evt"), subscriber: z.string().min(1).max(200).optional() }),
  "metrics.rollup": z.looseObject({}),
} satisfies Record<JobType, z.ZodType<Record<string, unknown>>>;

export type JobPayload<T extends JobType> = z.infer<(typeof JOB_PAYLOADS)[T]>;

/** The queue each job type runs on (each queue is one Cloudflare Queue; see wrangler.toml). */
export const JOB_QUEUE: Record<JobType, QueueName> = {
  "attempt.score": "scoring",
  "email.send": "emails",
  "email.send_batch": "emails",
  "email.password_reset": "emails",
  "email.weekly_summary": "emails",
  "export.run": "exports",
  "ai.generate_questions": "ai",
  "ai.hints": "ai",
  "ai.evaluate": "ai",
  "index.question": "indexing",
  "index.test": "indexing",
  "index.rebuild": "indexing",
  "event.dispatch": "webhooks",
  "metrics.rollup": "default",
};

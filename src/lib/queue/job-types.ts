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
  "email.send": z.strictObject({
    to: email,
    subject: z.string().min(1).max(300),
    text: z.string().max(100_000),
    html: z.string().max(200_000).optional(),
  }),
  "email.welcome": z.strictObject({ userId: id("usr") }),
  "email.password_changed": z.strictObject({ userId: id("usr") }),
  "email.results": z.strictObject({ attemptId: id("att") }),
  "export.audit_logs": z.looseObject({ requestedBy: id("usr") }),
  "export.attempts": z.looseObject({ requestedBy: id("usr") }),
  "export.questions": z.looseObject({ requestedBy: id("usr") }),
  "ai.generate_questions": z.looseObject({ requestedBy: id("usr") }),
  "ai.hint": z.looseObject({ requestedBy: id("usr") }),
  "ai.chat": z.looseObject({ requestedBy: id("usr") }),
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
  "email.welcome": "emails",
  "email.password_changed": "emails",
  "email.results": "emails",
  "export.audit_logs": "exports",
  "export.attempts": "exports",
  "export.questions": "exports",
  "ai.generate_questions": "ai",
  "ai.hint": "ai",
  "ai.chat": "ai",
  "index.question": "indexing",
  "index.test": "indexing",
  "index.rebuild": "indexing",
  "event.dispatch": "webhooks",
  "metrics.rollup": "default",
};

import type { JobType } from "../src/db/schema";
import type { JobHandler } from "./job-handler";
import { evaluateAttemptJob, generateHintsJob, generateQuestionsJob } from "./ai";
import { passwordResetJob, sendEmailBatchJob, sendEmailJob, weeklySummaryJob } from "./email";
import { eventDispatchJob } from "./event-dispatch";
import { exportJob } from "./exports";
import { indexQuestionJob, indexTestJob, reindexJob } from "./indexing";
import { scoreAttemptJob } from "./scoring";

/**
 * The handler module for each job type. A job whose type has no handler here fails at once with
 * "no handler" (so a typo cannot retry forever). Register new handlers with one line.
 */
export const JOB_HANDLERS: Partial<Record<JobType, JobHandler<never>>> = {
  "attempt.score": scoreAttemptJob,
  "event.dispatch": eventDispatchJob(),
  "email.send": sendEmailJob,
  "email.send_batch": sendEmailBatchJob,
  "email.password_reset": passwordResetJob,
  "email.weekly_summary": weeklySummaryJob,
  "export.run": exportJob,
  "ai.generate_questions": generateQuestionsJob,
  "ai.evaluate": evaluateAttemptJob,
  "ai.hints": generateHintsJob,
  "index.question": indexQuestionJob,
  "index.test": indexTestJob,
  "index.rebuild": reindexJob,
};

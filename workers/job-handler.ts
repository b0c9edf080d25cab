import type { Database } from "../src/db";
import type { Job } from "../src/db/schema";
import type { Env } from "../src/env";
import type { Logger } from "../src/lib/logger";

/** What a job handler gets: its validated payload, the Job row as claimed, and a progress reporter. */
export interface JobContext<P = Record<string, unknown>> {
  env: Env;
  db: Database;
  logger: Logger;
  job: Job;
  payload: P;
  /** 1 on the first delivery. */
  attempt: number;
  /** 0–100 and an optional short message, shown by GET /v1/jobs/:id while the job runs. */
  progress(percent: number, message?: string): Promise<void>;
}

/** Returns the job's result (stored as JSON on the row). Throwing retries the job, with backoff. */
export type JobHandler<P = Record<string, unknown>> = (ctx: JobContext<P>) => Promise<unknown>;

/** An error retrying cannot fix (the attempt was deleted, the input is invalid): the job fails at once. */
export class PermanentJobError extends Error {
  override readonly name = "PermanentJobError";
}

/** Another writer got there first; the job retries and reads fresh state. */
export class JobConflictError extends Error {
  override readonly name = "JobConflictError";
}

import type { Database } from "../../db";
import { clock } from "../clock";
import { recordErrorOccurrence } from "../monitoring/error-log";
import { redactString } from "../security/redact";

/**
 * Records a job's final failure in error_logs through the same grouping as every other error
 * (fingerprint, occurrences, reopen on recurrence), with `source = "queue"`, the job type as `path`
 * and the job id in `body`.
 */
export async function recordJobFailure(db: Database, job: { id: string; type: string }, error: unknown): Promise<void> {
  const err = error instanceof Error ? error : new Error(String(error));
  await recordErrorOccurrence(
    db,
    {
      severity: "ERROR",
      source: "queue",
      message: redactString(err.message),
      errorType: err.name,
      stack: err.stack ? redactString(err.stack) : null,
      path: `job:${job.type}`,
      method: null,
      body: JSON.stringify({ jobId: job.id }),
    },
    clock.now(),
  );
}

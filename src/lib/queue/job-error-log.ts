import { clock } from "../clock";
import { newId } from "../ids";
import { redactString } from "../security/redact";

const MAX_MESSAGE = 2000;
const MAX_STACK = 8000;

/** Groups repeats of one job failure: the job type, error type and message with ids and numbers blanked. */
async function jobFailureFingerprint(jobType: string, errorType: string, message: string): Promise<string> {
  const normalised = message.replace(/\b[a-z]{2,5}_[0-9A-HJKMNP-TV-Z]{26}\b/g, "<id>").replace(/\d+(?:\.\d+)?/g, "<n>");
  const digest = await crypto.subtle.digest("SHA-256", new TextEncoder().encode(`queue\n${jobType}\n${errorType}\n${normalised}`));
  return [...new Uint8Array(digest)].map((b) => b.toString(16).padStart(2, "0")).join("").slice(0, 32);
}

/**
 * Records a job's final failure in error_logs (one row per fingerprint, repeats counted), with
 * `source = "queue"`, the job type as `path` and the job id in `body`.
 */
export async function recordJobFailure(d1: D1Database, job: { id: string; type: string }, error: unknown): Promise<void> {
  const err = error instanceof Error ? error : new Error(String(error));
  const message = redactString(err.message).slice(0, MAX_MESSAGE);
  const stack = err.stack ? redactString(err.stack).slice(0, MAX_STACK) : null;
  const now = clock.now();
  const fingerprint = await jobFailureFingerprint(job.type, err.name, message);
  await d1
    .prepare(
      `INSERT INTO error_logs (id, severity, message, error_type, stack, fingerprint, occurrences, first_seen_at,
         last_seen_at, source, path, method, body, user_id, created_at)
       VALUES (?1, 'ERROR', ?2, ?3, ?4, ?5, 1, ?6, ?6, 'queue', ?7, NULL, ?8, NULL, ?6)
       ON CONFLICT(fingerprint) DO UPDATE SET occurrences = occurrences + 1, last_seen_at = excluded.last_seen_at,
         message = excluded.message, body = excluded.body, resolved_at = NULL, resolved_by = NULL`,
    )
    .bind(newId("error", now), message, err.name, stack, fingerprint, now, `job:${job.type}`, JSON.stringify({ jobId: job.id }))
    .run();
}

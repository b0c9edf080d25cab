import { clock } from "../clock";
import { newId } from "../ids";
import { fingerprintOf } from "../monitoring/fingerprint";
import { redactString } from "../security/redact";

const MAX_MESSAGE = 2000;
const MAX_STACK = 8000;

/**
 * Records a job's final failure in error_logs, grouped like every other error (same fingerprint
 * rules as the request path), with `source = "queue"` and the job type as `path`.
 */
export async function recordJobFailure(d1: D1Database, job: { id: string; type: string }, error: unknown): Promise<void> {
  const err = error instanceof Error ? error : new Error(String(error));
  const message = redactString(err.message).slice(0, MAX_MESSAGE);
  const stack = err.stack ? redactString(err.stack).slice(0, MAX_STACK) : null;
  const now = clock.now();
  const fingerprint = fingerprintOf(`${err.name}@job:${job.type}`, message, stack);
  await d1
    .prepare(
      `INSERT INTO error_logs (id, severity, message, error_type, stack, fingerprint, occurrences, first_seen_at,
         last_seen_at, source, path, method, body, user_id, created_at)
       VALUES (?1, 'ERROR', ?2, ?3, ?4, ?5, 1, ?6, ?6, 'queue', ?7, 'JOB', ?8, NULL, ?6)
       ON CONFLICT(fingerprint) DO UPDATE SET occurrences = occurrences + 1, last_seen_at = excluded.last_seen_at,
         message = excluded.message, body = excluded.body, resolved_at = NULL, resolved_by = NULL`,
    )
    .bind(newId("error", now), message, err.name, stack, fingerprint, now, `job:${job.type}`, JSON.stringify({ jobId: job.id }))
    .run();
}

import type { Job } from "../../db/schema";
import { iso, isoOrNull } from "../clock";

/** A job as its owner sees it (GET /v1/jobs/:id): state and outcome, not the internal payload. */
export function presentJob(job: Job) {
  return {
    id: job.id,
    type: job.type,
    queue: job.queue,
    status: job.status,
    attempts: job.attempts,
    maxAttempts: job.maxAttempts,
    progress: job.progress,
    progressMessage: job.progressMessage,
    result: job.result ?? null,
    error: job.error,
    createdAt: iso(job.createdAt),
    startedAt: isoOrNull(job.startedAt),
    finishedAt: isoOrNull(job.finishedAt),
    scheduledFor: isoOrNull(job.scheduledFor),
  };
}

/** The operator's view: everything, including the payload and delivery bookkeeping. */
export function presentJobForAdmin(job: Job) {
  return {
    ...presentJob(job),
    priority: job.priority,
    payload: job.payload,
    ownerId: job.ownerId,
    idempotencyKey: job.idempotencyKey,
    coalesceKey: job.coalesceKey,
    enqueuedAt: isoOrNull(job.enqueuedAt),
    updatedAt: iso(job.updatedAt),
  };
}

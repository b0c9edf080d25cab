export { enqueue, enqueueStatements, sendJobMessage, buildJobRow, type EnqueueOptions, type EnqueueResult, type PreparedJob } from "./enqueue";
export { JOB_PAYLOADS, JOB_QUEUE, isJobType, type JobPayload } from "./job-types";
export { MAX_QUEUE_DELAY_SECONDS, MAX_JOB_ATTEMPTS, DEFAULT_JOB_ATTEMPTS, queueBinding, isJobMessage, type JobMessage } from "./bindings";

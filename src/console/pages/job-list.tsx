import type { z } from "zod";
import type { adminJobSchema } from "../../openapi/schemas/job";
import { ActionForm, Badge, Empty, Time } from "../ui/components";

export type AdminJob = z.infer<typeof adminJobSchema>;

/** Statuses a job can be retried from (POST /v1/admin/jobs/:id/retry) and cancelled from (DELETE). */
export const RETRYABLE: readonly AdminJob["status"][] = ["FAILED", "CANCELLED"];
export const CANCELLABLE: readonly AdminJob["status"][] = ["PENDING", "DELAYED"];

/** The views of the queues section, linked from each of them. */
export const QUEUE_VIEWS = [
  ["/admin/queues", "Queues"],
  ["/admin/jobs", "All jobs"],
  ["/admin/jobs/dead-letter", "Dead letter"],
] as const;

const ERROR_PREVIEW = 160;

function preview(text: string): string {
  return text.length > ERROR_PREVIEW ? `${text.slice(0, ERROR_PREVIEW)}…` : text;
}

interface JobTableProps {
  jobs: AdminJob[];
  caption: string;
  /** A column naming each job's queue (in the views across queues). */
  showQueue?: boolean;
  /** When given, failed and cancelled rows get a Retry button posting back to `back`. */
  retry?: { csrfToken: string; back: string };
}

/** One page of jobs, newest first: state, attempts, progress and the last error at a glance. */
export function JobTable({ jobs, caption, showQueue, retry }: JobTableProps) {
  if (jobs.length === 0) return <Empty text="No jobs match." />;
  return (
    <table>
      <caption>{caption}</caption>
      <thead>
        <tr>
          <th scope="col">Job</th>
          <th scope="col">Type</th>
          {showQueue && <th scope="col">Queue</th>}
          <th scope="col">Status</th>
          <th scope="col" class="num">
            Attempts
          </th>
          <th scope="col" class="num">
            Progress
          </th>
          <th scope="col">Created</th>
          <th scope="col">Finished</th>
          <th scope="col">Last error</th>
          {retry && <th scope="col">Action</th>}
        </tr>
      </thead>
      <tbody>
        {jobs.map((job) => (
          <tr>
            <th scope="row">
              <a href={`/admin/jobs/${encodeURIComponent(job.id)}`}>
                <code>{job.id}</code>
              </a>
            </th>
            <td>{job.type}</td>
            {showQueue && (
              <td>
                <a href={`/admin/queues/${job.queue}`}>{job.queue}</a>
              </td>
            )}
            <td>
              <Badge value={job.status} />
            </td>
            <td class="num">{`${job.attempts}/${job.maxAttempts}`}</td>
            <td class="num">{`${job.progress}%`}</td>
            <td>
              <Time iso={job.createdAt} />
            </td>
            <td>
              <Time iso={job.finishedAt} />
            </td>
            <td class="wrap">{job.error ? preview(job.error) : <span class="muted">—</span>}</td>
            {retry && (
              <td>
                {RETRYABLE.includes(job.status) && (
                  <ActionForm
                    action={`/admin/jobs/${encodeURIComponent(job.id)}/retry`}
                    csrfToken={retry.csrfToken}
                    back={retry.back}
                    label="Retry"
                  />
                )}
              </td>
            )}
          </tr>
        ))}
      </tbody>
    </table>
  );
}

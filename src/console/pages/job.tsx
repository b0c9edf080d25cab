import { Hono } from "hono";
import { runAction } from "../actions";
import type { ConsoleEnv } from "../env";
import { takeFlash } from "../flash";
import { ActionForm, Badge, Empty, Facts, Json, Live, Time } from "../ui/components";
import { Page } from "../ui/layout";
import { SubNav } from "../ui/sub-nav";
import { type AdminJob, CANCELLABLE, QUEUE_VIEWS, RETRYABLE } from "./job-list";

/** A job still waiting or running changes under the admin's eyes; its page follows it. */
const LIVE_STATUSES: readonly AdminJob["status"][] = ["PENDING", "DELAYED", "ACTIVE"];
const REFRESH_SECONDS = 5;

const FINISHED_AS: Partial<Record<AdminJob["status"], string>> = {
  COMPLETED: "Completed",
  FAILED: "Failed",
  CANCELLED: "Cancelled",
};

/** Every instant the API gives for the job, in the order they happened. */
function timeline(job: AdminJob): Array<[string, string]> {
  const moments: Array<[string, string | null]> = [
    ["Created", job.createdAt],
    ["Scheduled to run", job.scheduledFor],
    ["Sent to the queue", job.enqueuedAt],
    [job.attempts > 1 ? `Attempt ${job.attempts} started` : "Started", job.startedAt],
    [FINISHED_AS[job.status] ?? "Finished", job.finishedAt],
    ["Last updated", job.updatedAt],
  ];
  return moments.filter((moment): moment is [string, string] => moment[1] !== null).sort((a, b) => Date.parse(a[1]) - Date.parse(b[1]));
}

function JobActions({ job, csrfToken }: { job: AdminJob; csrfToken: string }) {
  const path = `/admin/jobs/${encodeURIComponent(job.id)}`;
  if (RETRYABLE.includes(job.status)) {
    return <ActionForm action={`${path}/retry`} csrfToken={csrfToken} back={path} label="Retry" />;
  }
  if (CANCELLABLE.includes(job.status)) {
    return (
      <ActionForm
        action={`${path}/cancel`}
        csrfToken={csrfToken}
        back={path}
        label="Cancel"
        danger
        confirm="Cancel this job? It will not run (you can retry it later)."
      />
    );
  }
  return null;
}

function JobDetail({ job, csrfToken }: { job: AdminJob; csrfToken: string }) {
  return (
    <>
      <p class="lead">
        <Badge value={job.status} /> {job.type} on the <a href={`/admin/queues/${job.queue}`}>{job.queue}</a> queue
      </p>
      <div class="actions">
        <JobActions job={job} csrfToken={csrfToken} />
      </div>
      <Facts
        items={[
          ["Id", <code>{job.id}</code>],
          ["Status", <Badge value={job.status} />],
          ["Attempts", `${job.attempts} of ${job.maxAttempts}`],
          [
            "Progress",
            <>
              <progress value={job.progress} max={100} aria-label="Progress">{`${job.progress}%`}</progress> {`${job.progress}%`}
            </>,
          ],
          ["Progress message", job.progressMessage],
          ["Priority", String(job.priority)],
          ["Owner", job.ownerId],
          ["Idempotency key", job.idempotencyKey],
          ["Coalesce key", job.coalesceKey],
        ]}
      />
      <h2>Timeline</h2>
      <ol class="timeline">
        {timeline(job).map(([label, at]) => (
          <li>
            <Time iso={at} /> {label}
          </li>
        ))}
      </ol>
      <h2>Error</h2>
      {job.error ? (
        <pre class="stack" tabindex={0}>
          {job.error}
        </pre>
      ) : (
        <Empty text="No error." />
      )}
      <h2>Payload</h2>
      <Json value={job.payload} />
      <h2>Result</h2>
      {job.result === null || job.result === undefined ? <Empty text="No result." /> : <Json value={job.result} />}
    </>
  );
}

/** One job: payload, result, error, attempts, progress and timeline; retry or cancel it. */
export const jobPage = new Hono<ConsoleEnv>()
  .get("/jobs/:id", async (c) => {
    const job = await c.var.api.get<AdminJob>(`/v1/admin/jobs/${encodeURIComponent(c.req.param("id"))}`);
    const detail = <JobDetail job={job} csrfToken={c.var.csrfToken} />;
    return c.html(
      <Page title={`Job ${job.type}`} section="queues" admin={c.var.auth?.user.name} csrfToken={c.var.csrfToken} flash={takeFlash(c)}>
        <SubNav label="Queue views" current="" links={QUEUE_VIEWS} />
        {/* Same id either way, so a live page that sees the job finish shows its final state. */}
        {LIVE_STATUSES.includes(job.status) ? (
          <Live id="job-live" every={REFRESH_SECONDS}>
            {detail}
          </Live>
        ) : (
          <div id="job-live">{detail}</div>
        )}
      </Page>,
    );
  })

  .post("/jobs/:id/retry", (c) => {
    const id = c.req.param("id");
    return runAction(
      c,
      { back: `/admin/jobs/${encodeURIComponent(id)}`, success: "The job is queued again, with its attempts reset." },
      (_form, csrf) => c.var.api.post<AdminJob>(`/v1/admin/jobs/${encodeURIComponent(id)}/retry`, {}, csrf),
    );
  })

  .post("/jobs/:id/cancel", (c) => {
    const id = c.req.param("id");
    return runAction(
      c,
      { back: `/admin/jobs/${encodeURIComponent(id)}`, success: "The job is cancelled; it will not run." },
      (_form, csrf) => c.var.api.delete<AdminJob>(`/v1/admin/jobs/${encodeURIComponent(id)}`, csrf),
    );
  });

import { Hono } from "hono";
import type { Context } from "hono";
import type { z } from "zod";
import { JOB_STATUSES, JOB_TYPES, QUEUE_NAMES, type QueueName } from "../../db/schema";
import type { Page as ApiPage } from "../../lib/validation/pagination";
import type { queueCleanedSchema, queuePausedSchema, queueStatsSchema } from "../../openapi/schemas/queue";
import { runAction } from "../actions";
import type { ConsoleEnv } from "../env";
import { takeFlash } from "../flash";
import { Choice } from "../ui/choice";
import { ActionForm, Badge, Filters, Live, Pager, Select } from "../ui/components";
import { Page } from "../ui/layout";
import { apiInstant, DateTimeInput, FilterProblem, herePath, loadFiltered, readQuery } from "../ui/list-query";
import { problemPage } from "../ui/problem-page";
import { SubNav } from "../ui/sub-nav";
import { jobPage } from "./job";
import { type AdminJob, JobTable, QUEUE_VIEWS } from "./job-list";

type QueueStats = z.infer<typeof queueStatsSchema>;
type QueuePaused = z.infer<typeof queuePausedSchema>;
type QueueCleaned = z.infer<typeof queueCleanedSchema>;

/** Every view here is live: counts and job states change by the second. */
const REFRESH_SECONDS = 5;
const PAGE_SIZE = 50;

const CLEAN_STATUSES = [
  ["COMPLETED", "completed"],
  ["FAILED", "failed"],
  ["CANCELLED", "cancelled"],
] as const;
const CLEAN_AGES = [
  ["3600", "older than 1 hour"],
  ["86400", "older than 1 day"],
  ["604800", "older than 7 days"],
  ["0", "of any age"],
] as const;

/** Each count of the dashboard, with the job status it counts (to list those jobs). */
const COUNTS = [
  ["waiting", "Waiting", "PENDING"],
  ["active", "Active", "ACTIVE"],
  ["delayed", "Delayed", "DELAYED"],
  ["completed", "Completed", "COMPLETED"],
  ["failed", "Failed", "FAILED"],
  ["cancelled", "Cancelled", "CANCELLED"],
] as const;

function isQueue(name: string): name is QueueName {
  return (QUEUE_NAMES as readonly string[]).includes(name);
}

function duration(ms: number | null): string {
  if (ms === null) return "—";
  if (ms < 1000) return `${ms} ms`;
  if (ms < 60_000) return `${(ms / 1000).toFixed(1)} s`;
  return `${(ms / 60_000).toFixed(1)} min`;
}

function PauseForm({ queue, csrfToken, back }: { queue: QueueStats; csrfToken: string; back: string }) {
  return queue.paused ? (
    <ActionForm action={`/admin/queues/${queue.name}/resume`} csrfToken={csrfToken} back={back} label="Resume" />
  ) : (
    <ActionForm
      action={`/admin/queues/${queue.name}/pause`}
      csrfToken={csrfToken}
      back={back}
      label="Pause"
      confirm={`Pause the ${queue.name} queue? Its jobs wait until it is resumed.`}
    />
  );
}

/** Deletes the queue's finished jobs of one status past an age (POST /v1/admin/queues/:name/clean). */
function CleanForm({ queue, csrfToken, back, compact }: { queue: QueueName; csrfToken: string; back: string; compact?: boolean }) {
  return (
    <ActionForm
      action={`/admin/queues/${queue}/clean`}
      csrfToken={csrfToken}
      back={back}
      label="Clean"
      danger
      confirm={`Delete the ${queue} queue's finished jobs of the chosen status and age? This cannot be undone.`}
    >
      <Choice name="status" label={`Finished jobs to delete from ${queue}`} options={CLEAN_STATUSES} hideLabel={compact} />
      <Choice name="olderThanSeconds" label={`Age of the ${queue} jobs to delete`} options={CLEAN_AGES} value="86400" hideLabel={compact} />
    </ActionForm>
  );
}

function QueueTable({ queues, csrfToken }: { queues: QueueStats[]; csrfToken: string }) {
  return (
    <table>
      <caption>Every queue: jobs by state, completions per minute (last 15 minutes) and average run time (last hour)</caption>
      <thead>
        <tr>
          <th scope="col">Queue</th>
          {COUNTS.map(([, label]) => (
            <th scope="col" class="num">
              {label}
            </th>
          ))}
          <th scope="col" class="num">
            Per minute
          </th>
          <th scope="col" class="num">
            Avg duration
          </th>
          <th scope="col">Actions</th>
        </tr>
      </thead>
      <tbody>
        {queues.map((queue) => (
          <tr>
            <th scope="row">
              <a href={`/admin/queues/${queue.name}`}>{queue.name}</a> {queue.paused && <Badge value="paused" />}
            </th>
            {COUNTS.map(([key, , status]) => (
              <td class="num">
                <a href={`/admin/queues/${queue.name}?status=${status}`}>{queue[key]}</a>
              </td>
            ))}
            <td class="num">{queue.throughputPerMinute.toFixed(2)}</td>
            <td class="num">{duration(queue.avgDurationMs)}</td>
            <td class="row-actions">
              <PauseForm queue={queue} csrfToken={csrfToken} back="/admin/queues" />
              <CleanForm queue={queue.name} csrfToken={csrfToken} back="/admin/queues" compact />
            </td>
          </tr>
        ))}
      </tbody>
    </table>
  );
}

function QueueSummary({ queue }: { queue: QueueStats }) {
  return (
    <ul class="tiles" aria-label={`The ${queue.name} queue's jobs by state`}>
      {COUNTS.map(([key, label, status]) => (
        <li>
          <a href={`/admin/queues/${queue.name}?status=${status}`}>
            <span class="tile-value">{queue[key]}</span> {label}
          </a>
        </li>
      ))}
      <li>
        <span class="tile">
          <span class="tile-value">{queue.throughputPerMinute.toFixed(2)}</span> per minute
        </span>
      </li>
      <li>
        <span class="tile">
          <span class="tile-value">{duration(queue.avgDurationMs)}</span> average run
        </span>
      </li>
    </ul>
  );
}

const JOB_FILTERS = ["queue", "status", "type", "from", "to", "cursor"] as const;
type JobQuery = Record<(typeof JOB_FILTERS)[number], string | undefined>;

function loadJobs(c: Context<ConsoleEnv>, query: JobQuery) {
  return loadFiltered(
    c.var.api.get<ApiPage<AdminJob>>("/v1/admin/jobs", {
      ...query,
      from: apiInstant(query.from),
      to: apiInstant(query.to),
      limit: PAGE_SIZE,
    }),
  );
}

function JobFilters({ action, query, fixed }: { action: string; query: JobQuery; fixed: ReadonlyArray<"queue" | "status"> }) {
  return (
    <Filters action={action}>
      {!fixed.includes("queue") && <Select name="queue" label="Queue" options={QUEUE_NAMES} value={query.queue} />}
      {!fixed.includes("status") && <Select name="status" label="Status" options={JOB_STATUSES} value={query.status} />}
      <Select name="type" label="Type" options={JOB_TYPES} value={query.type} />
      <DateTimeInput name="from" label="Created from" value={query.from} />
      <DateTimeInput name="to" label="Created until" value={query.to} />
    </Filters>
  );
}

/** The filters a view shows in its URL and pager (the fixed ones are the view's own). */
function shownQuery(query: JobQuery, fixed: ReadonlyArray<"queue" | "status">): Record<string, string | undefined> {
  const shown: Record<string, string | undefined> = { ...query };
  for (const key of fixed) delete shown[key];
  return shown;
}

/**
 * Queues (bull-board's dashboard): counts per state, throughput and run time, pause/resume and clean;
 * a queue's jobs; every job across queues; the dead letters (jobs that failed for good) with retry.
 * Job detail and its actions are in ./job.tsx.
 */
export const queuesPage = new Hono<ConsoleEnv>()
  .get("/queues", async (c) => {
    const { data } = await c.var.api.get<{ data: QueueStats[] }>("/v1/admin/queues");
    return c.html(
      <Page title="Queues" section="queues" admin={c.var.auth?.user.name} csrfToken={c.var.csrfToken} flash={takeFlash(c)}>
        <SubNav label="Queue views" current="/admin/queues" links={QUEUE_VIEWS} />
        <Live id="queues-live" every={REFRESH_SECONDS}>
          <QueueTable queues={data} csrfToken={c.var.csrfToken} />
        </Live>
      </Page>,
    );
  })

  .get("/queues/:name", async (c) => {
    const name = c.req.param("name");
    if (!isQueue(name)) return c.html(problemPage("Not found", "There is no such queue.", c.var.requestId), 404);
    const query: JobQuery = { ...readQuery(c, JOB_FILTERS), queue: name };
    const [{ data }, jobs] = await Promise.all([c.var.api.get<{ data: QueueStats[] }>("/v1/admin/queues"), loadJobs(c, query)]);
    const queue = data.find((entry) => entry.name === name);
    if (!queue) return c.html(problemPage("Not found", "There is no such queue.", c.var.requestId), 404);
    const here = herePath(c);
    const path = `/admin/queues/${name}`;
    return c.html(
      <Page title={`Queue ${name}`} section="queues" admin={c.var.auth?.user.name} csrfToken={c.var.csrfToken} flash={takeFlash(c)}>
        <SubNav label="Queue views" current={path} links={QUEUE_VIEWS} />
        <JobFilters action={path} query={query} fixed={["queue"]} />
        <Live id="queue-live" every={REFRESH_SECONDS}>
          <p>
            {queue.paused ? <Badge value="paused" /> : <Badge value="running" />}{" "}
            <a href={`/admin/jobs/dead-letter?queue=${name}`}>Dead letters of this queue</a>
          </p>
          <QueueSummary queue={queue} />
          <div class="actions">
            <PauseForm queue={queue} csrfToken={c.var.csrfToken} back={here} />
            <CleanForm queue={name} csrfToken={c.var.csrfToken} back={here} />
          </div>
          {jobs.ok ? (
            <>
              <JobTable jobs={jobs.value.data} caption={`Jobs of the ${name} queue, newest first`} />
              <Pager path={path} query={shownQuery(query, ["queue"])} nextCursor={jobs.value.nextCursor} />
            </>
          ) : (
            <FilterProblem problem={jobs.problem} />
          )}
        </Live>
      </Page>,
    );
  })

  .get("/jobs", async (c) => {
    const query = readQuery(c, JOB_FILTERS);
    const jobs = await loadJobs(c, query);
    return c.html(
      <Page title="Jobs" section="queues" admin={c.var.auth?.user.name} csrfToken={c.var.csrfToken} flash={takeFlash(c)}>
        <SubNav label="Queue views" current="/admin/jobs" links={QUEUE_VIEWS} />
        <JobFilters action="/admin/jobs" query={query} fixed={[]} />
        <Live id="jobs-live" every={REFRESH_SECONDS}>
          {jobs.ok ? (
            <>
              <JobTable jobs={jobs.value.data} caption="Jobs of every queue, newest first" showQueue />
              <Pager path="/admin/jobs" query={query} nextCursor={jobs.value.nextCursor} />
            </>
          ) : (
            <FilterProblem problem={jobs.problem} />
          )}
        </Live>
      </Page>,
    );
  })

  /** Jobs that failed for good: out of attempts, failed permanently or dead-lettered by Queues (all FAILED). */
  .get("/jobs/dead-letter", async (c) => {
    const query: JobQuery = { ...readQuery(c, JOB_FILTERS), status: "FAILED" };
    const jobs = await loadJobs(c, query);
    const path = "/admin/jobs/dead-letter";
    return c.html(
      <Page title="Dead letter" section="queues" admin={c.var.auth?.user.name} csrfToken={c.var.csrfToken} flash={takeFlash(c)}>
        <SubNav label="Queue views" current={path} links={QUEUE_VIEWS} />
        <p class="muted">
          Jobs that failed for good: their attempts ran out, their error was permanent, or Queues gave up delivering them. Retrying one
          queues it again with its attempts reset.
        </p>
        <JobFilters action={path} query={query} fixed={["status"]} />
        <Live id="dead-letter-live" every={REFRESH_SECONDS}>
          {jobs.ok ? (
            <>
              <JobTable
                jobs={jobs.value.data}
                caption="Failed jobs, newest first"
                showQueue
                retry={{ csrfToken: c.var.csrfToken, back: herePath(c) }}
              />
              <Pager path={path} query={shownQuery(query, ["status"])} nextCursor={jobs.value.nextCursor} />
            </>
          ) : (
            <FilterProblem problem={jobs.problem} />
          )}
        </Live>
      </Page>,
    );
  })

  .post("/queues/:name/pause", (c) => {
    const name = c.req.param("name");
    return runAction(
      c,
      { back: "/admin/queues", success: `The ${name} queue is paused: its jobs wait until it is resumed.` },
      (_form, csrf) => c.var.api.post<QueuePaused>(`/v1/admin/queues/${encodeURIComponent(name)}/pause`, {}, csrf),
    );
  })

  .post("/queues/:name/resume", (c) => {
    const name = c.req.param("name");
    return runAction(
      c,
      {
        back: "/admin/queues",
        success: (resumed: QueuePaused) =>
          `The ${resumed.name} queue is running again${resumed.resent ? `; ${resumed.resent} waiting jobs were sent to it` : ""}.`,
      },
      (_form, csrf) => c.var.api.post<QueuePaused>(`/v1/admin/queues/${encodeURIComponent(name)}/resume`, {}, csrf),
    );
  })

  .post("/queues/:name/clean", (c) => {
    const name = c.req.param("name");
    return runAction(
      c,
      {
        back: "/admin/queues",
        success: (cleaned: QueueCleaned) =>
          `${cleaned.deleted} ${cleaned.status.toLowerCase()} ${cleaned.deleted === 1 ? "job was" : "jobs were"} deleted from the ${cleaned.name} queue.`,
      },
      (form, csrf) => {
        // A missing or mangled age goes to the API as typed, for its validation to refuse: never as 0 ("all").
        const age = form.olderThanSeconds ?? "";
        const olderThanSeconds = /^\d{1,10}$/.test(age) ? Number(age) : age;
        return c.var.api.post<QueueCleaned>(
          `/v1/admin/queues/${encodeURIComponent(name)}/clean`,
          { status: form.status, olderThanSeconds },
          csrf,
        );
      },
    );
  })

  .route("/", jobPage);

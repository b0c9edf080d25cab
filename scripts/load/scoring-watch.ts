import { setTimeout as sleep } from "node:timers/promises";
import type { Json } from "../../bench/lib/api";
import type { Row } from "../../bench/lib/table";
import { must, type LoadClient } from "./client";
import { inParallel } from "./open-model";

const POLL_CONCURRENCY = 16;

/** One storm student's attempt, filled in as it is submitted and scored. */
export interface Submission {
  token: string;
  attemptId: string;
  jobId?: string;
  acceptedAt?: number;
  scoredAt?: number;
  failed?: boolean;
}

/** The scoring queue as GET /v1/admin/queues reports it, when the run holds an admin credential. */
async function scoringBacklog(client: LoadClient, admin: string | null): Promise<{ waiting: number; active: number } | null> {
  if (!admin) return null;
  const queues = await client.call("admin queues", "GET", "/v1/admin/queues", { token: admin });
  const scoring = queues.ok ? (queues.body.data as Json[]).find((q) => q.name === "scoring") : undefined;
  return scoring ? { waiting: scoring.waiting + scoring.delayed, active: scoring.active } : null;
}

/** At most `count` rows, evenly spread, the last one kept. */
export function thinned(rows: Row[], count: number): Row[] {
  if (rows.length <= count) return rows;
  const step = rows.length / count;
  return [...Array.from({ length: count - 1 }, (_, i) => rows[Math.floor(i * step)]!), rows.at(-1)!];
}

interface Watch {
  backlog: Row[];
  problems: string[];
}

/** Jobs listed per page by GET /v1/admin/jobs. */
const PAGE = 100;
/** Rows of the backlog table: one sample a second at most. */
const BACKLOG_SAMPLE_MS = 1000;

/**
 * With an admin credential: reads the scoring jobs' rows (GET /v1/admin/jobs, a page per 100 jobs per
 * round) until each finished, and times each attempt by the server's own clock: submit → scored is the
 * job's `finishedAt − createdAt` (the job is created in the submit's batch). Samples the queue's backlog.
 */
export async function watchAsOperator(
  client: LoadClient,
  admin: string,
  submissions: Submission[],
  { since, deadline, pollMs }: { since: number; deadline: number; pollMs: number },
): Promise<Watch> {
  const byJob = new Map(submissions.map((s) => [s.jobId!, s]));
  const backlog: Row[] = [];
  const problems: string[] = [];
  const from = new Date(since - 60_000).toISOString();
  const started = performance.now();
  let sampledAt = -Infinity;
  while ([...byJob.values()].some((s) => s.scoredAt === undefined && !s.failed) && performance.now() < deadline) {
    if (performance.now() - sampledAt >= BACKLOG_SAMPLE_MS) {
      sampledAt = performance.now();
      const queue = await scoringBacklog(client, admin);
      const open = [...byJob.values()].filter((s) => s.scoredAt === undefined && !s.failed).length;
      if (queue) backlog.push({ "s after the window": Math.round((sampledAt - started) / 100) / 10, ...queue, "not yet scored": open });
    }
    let cursor: string | null = null;
    do {
      const query = `queue=scoring&type=attempt.score&from=${encodeURIComponent(from)}&limit=${PAGE}${cursor ? `&cursor=${encodeURIComponent(cursor)}` : ""}`;
      const page = must(await client.call("admin jobs", "GET", `/v1/admin/jobs?${query}`, { token: admin }));
      for (const job of page.body.data as Json[]) {
        const s = byJob.get(job.id);
        if (!s || s.scoredAt !== undefined || s.failed) continue;
        if (job.status === "COMPLETED") {
          s.acceptedAt = Date.parse(job.createdAt);
          s.scoredAt = Date.parse(job.finishedAt);
        } else if (job.status === "FAILED") {
          s.failed = true;
          problems.push(`scoring job ${job.id} failed: ${job.error}`);
        }
      }
      cursor = page.body.nextCursor;
    } while (cursor);
    await sleep(pollMs);
  }
  return { backlog, problems };
}

/** Without one: each student polls their scoring job (GET /v1/jobs/:id), timed by this machine's clock. */
export async function watchAsStudents(
  client: LoadClient,
  submissions: Submission[],
  { deadline, pollMs }: { deadline: number; pollMs: number },
): Promise<Watch> {
  const problems: string[] = [];
  let pending = submissions;
  while (pending.length > 0 && performance.now() < deadline) {
    await inParallel(pending, POLL_CONCURRENCY, async (s) => {
      const job = await client.call("poll scoring job", "GET", `/v1/jobs/${s.jobId}`, { token: s.token });
      if (job.body?.status === "COMPLETED") s.scoredAt = job.receivedAt;
      else if (job.body?.status === "FAILED") {
        s.failed = true;
        problems.push(`scoring job ${s.jobId} failed: ${job.body.error}`);
      }
    });
    pending = pending.filter((s) => s.scoredAt === undefined && !s.failed);
    if (pending.length > 0) await sleep(pollMs);
  }
  return { backlog: [], problems };
}

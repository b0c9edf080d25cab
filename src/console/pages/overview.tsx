import { Hono } from "hono";
import { clock } from "../../lib/clock";
import type { z } from "zod";
import type { errorLogSchema } from "../../openapi/schemas/error-log";
import type { metricSeriesSchema } from "../../openapi/schemas/metrics";
import type { queueStatsSchema } from "../../openapi/schemas/queue";
import type { securityEventSchema } from "../../openapi/schemas/security-event";
import type { Page as ApiPage } from "../../lib/validation/pagination";
import type { ConsoleEnv } from "../env";
import { takeFlash } from "../flash";
import { LineChart, type ChartPoint } from "../ui/chart";
import { Badge, Empty, Live, Time } from "../ui/components";
import { Page } from "../ui/layout";

type Series = z.infer<typeof metricSeriesSchema>;
type QueueStats = z.infer<typeof queueStatsSchema>;
type SecurityEvent = z.infer<typeof securityEventSchema>;
type ErrorLog = z.infer<typeof errorLogSchema>;

/** Each period with the metric bucket that draws it in at most a few hundred points. */
const PERIODS = {
  "1h": { bucket: "1m", ms: 3_600_000, label: "1 hour" },
  "24h": { bucket: "5m", ms: 86_400_000, label: "24 hours" },
  "7d": { bucket: "1h", ms: 7 * 86_400_000, label: "7 days" },
} as const;
type Period = keyof typeof PERIODS;

const BUCKET_MINUTES = { "1m": 1, "5m": 5, "1h": 60 } as const;
const SEVERITY_ORDER = ["CRITICAL", "HIGH", "MEDIUM", "LOW"] as const;
/** Open security events counted per severity, up to one page of the API; more reads as "100+". */
const OPEN_EVENTS_SCAN = 100;

const count = (value: number) => (value >= 100 ? value.toFixed(0) : value.toFixed(value >= 10 ? 1 : 2));
const percent = (value: number) => `${(value * 100).toFixed(value >= 0.1 ? 0 : 1)}%`;
const milliseconds = (value: number) => `${value.toFixed(0)} ms`;

function trafficCharts(all: Series, failed: Series, period: Period) {
  const perMinute = BUCKET_MINUTES[PERIODS[period].bucket];
  const failures = new Map(failed.series.map((point) => [point.t, point.count]));
  const requests: ChartPoint[] = all.series.map((point) => ({ t: point.t, v: point.count / perMinute }));
  const errorRate: ChartPoint[] = all.series.map((point) => ({
    t: point.t,
    v: point.count === 0 ? null : (failures.get(point.t) ?? 0) / point.count,
  }));
  const latency: ChartPoint[] = all.series.map((point) => ({ t: point.t, v: point.p95 }));
  return (
    <div class="charts">
      <LineChart title="Requests per minute" points={requests} format={count} />
      <LineChart title="Error rate (5xx)" points={errorRate} format={percent} />
      <LineChart title="p95 latency" points={latency} format={milliseconds} />
    </div>
  );
}

function QueueDepths({ queues }: { queues: QueueStats[] }) {
  return (
    <table>
      <caption>Queues</caption>
      <thead>
        <tr>
          <th scope="col">Queue</th>
          <th scope="col">Waiting</th>
          <th scope="col">Active</th>
          <th scope="col">Delayed</th>
          <th scope="col">Failed</th>
          <th scope="col">Per minute</th>
        </tr>
      </thead>
      <tbody>
        {queues.map((queue) => (
          <tr>
            <th scope="row">
              <a href={`/admin/queues/${queue.name}`}>{queue.name}</a> {queue.paused && <Badge value="paused" />}
            </th>
            <td class="num">{queue.waiting}</td>
            <td class="num">{queue.active}</td>
            <td class="num">{queue.delayed}</td>
            <td class="num">{queue.failed}</td>
            <td class="num">{queue.throughputPerMinute.toFixed(1)}</td>
          </tr>
        ))}
      </tbody>
    </table>
  );
}

function OpenSecurityEvents({ events, more }: { events: SecurityEvent[]; more: boolean }) {
  const bySeverity = new Map<string, number>();
  for (const event of events) bySeverity.set(event.severity.toUpperCase(), (bySeverity.get(event.severity.toUpperCase()) ?? 0) + 1);
  return (
    <section aria-labelledby="open-security">
      <h2 id="open-security">Open security events</h2>
      <ul class="tiles">
        {SEVERITY_ORDER.map((severity) => (
          <li>
            <a href={`/admin/security?status=OPEN&severity=${severity}`}>
              <span class="tile-value">{`${bySeverity.get(severity) ?? 0}${more ? "+" : ""}`}</span> <Badge value={severity} />
            </a>
          </li>
        ))}
      </ul>
    </section>
  );
}

function CriticalErrors({ errors }: { errors: ErrorLog[] }) {
  return (
    <section aria-labelledby="critical-errors">
      <h2 id="critical-errors">Latest unresolved critical errors</h2>
      {errors.length === 0 ? (
        <Empty text="No unresolved critical errors." />
      ) : (
        <ul class="list">
          {errors.map((error) => (
            <li>
              <a href={`/admin/errors/${error.id}`}>{error.message}</a> <span class="muted">×{error.occurrences}</span>{" "}
              <Time iso={error.lastSeenAt} />
            </li>
          ))}
        </ul>
      )}
    </section>
  );
}

/** The platform at a glance; the live region reloads itself every 15 seconds. */
export const overviewPage = new Hono<ConsoleEnv>().get("/", async (c) => {
  const requested = c.req.query("period");
  const period: Period = requested && requested in PERIODS ? (requested as Period) : "1h";
  const { bucket, ms } = PERIODS[period];
  const api = c.var.api;
  // Whole buckets only: the one still filling would draw as a drop at the right edge and read as "Latest".
  const bucketMs = BUCKET_MINUTES[bucket] * 60_000;
  const end = Math.floor(clock.now() / bucketMs) * bucketMs;
  const from = new Date(end - ms).toISOString();
  const to = new Date(end).toISOString();
  const [all, failed, queues, events, errors] = await Promise.all([
    api.get<Series>("/v1/admin/metrics", { name: "http.request", bucket, from, to }),
    api.get<Series>("/v1/admin/metrics", { name: "http.request", bucket, from, to, "tag.status": "5xx" }),
    api.get<{ data: QueueStats[] }>("/v1/admin/queues"),
    api.get<ApiPage<SecurityEvent>>("/v1/admin/security-events", { status: "OPEN", limit: OPEN_EVENTS_SCAN }),
    api.get<ApiPage<ErrorLog>>("/v1/admin/errors", { severity: "critical", resolved: false, limit: 5 }),
  ]);
  return c.html(
    <Page title="Overview" section="overview" admin={c.var.auth?.user.name} csrfToken={c.var.csrfToken} flash={takeFlash(c)}>
      <nav class="periods" aria-label="Period">
        {(Object.keys(PERIODS) as Period[]).map((key) => (
          <a href={`/admin?period=${key}`} aria-current={key === period ? "page" : undefined}>
            {PERIODS[key].label}
          </a>
        ))}
      </nav>
      <Live id="overview-live" every={15}>
        {trafficCharts(all, failed, period)}
        <div class="columns">
          <QueueDepths queues={queues.data} />
          <div>
            <OpenSecurityEvents events={events.data} more={events.nextCursor !== null} />
            <CriticalErrors errors={errors.data} />
          </div>
        </div>
      </Live>
    </Page>,
  );
});

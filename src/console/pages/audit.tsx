import { Hono } from "hono";
import type { z } from "zod";
import { ACTOR_TYPES, AUDIT_ACTIONS, AUDIT_STATUSES } from "../../db/schema";
import type { Page as ApiPage } from "../../lib/validation/pagination";
import type { auditLogDetailSchema, auditLogSchema, auditVerifyReportSchema } from "../../openapi/schemas/audit-log";
import { ConsoleApiError, problemText, withQuery } from "../api";
import type { ConsoleEnv } from "../env";
import { takeFlash } from "../flash";
import { Badge, Empty, Facts, Filters, Input, Json, Pager, Select, Time } from "../ui/components";
import { Page } from "../ui/layout";
import { apiInstant, DateTimeInput, FilterProblem, loadFiltered, readQuery } from "../ui/list-query";

type AuditLog = z.infer<typeof auditLogSchema>;
type AuditDetail = z.infer<typeof auditLogDetailSchema>["auditLog"];
type FieldChange = NonNullable<AuditDetail["diff"]>[number];
type VerifyReport = z.infer<typeof auditVerifyReportSchema>;

/** Every filter GET /v1/admin/audit-logs takes (src/lib/audit/filters.ts), in the order the form shows them. */
const FILTERS = [
  "q",
  "action",
  "status",
  "actorType",
  "actorId",
  "apiKeyId",
  "targetType",
  "targetId",
  "ip",
  "country",
  "requestId",
  "clientRequestId",
  "from",
  "to",
] as const;
type Filter = (typeof FILTERS)[number];
/** The formats GET /v1/admin/audit-logs/export streams. */
const EXPORT_FORMATS = ["csv", "json", "ndjson"] as const;
/** Headers of the API's export passed on to the browser as they are. */
const EXPORT_HEADERS = ["Content-Type", "Content-Disposition", "X-Content-Type-Options"];

/** The filters as the API takes them: times in ISO-8601 with an offset. */
function apiFilters(query: Record<Filter, string | undefined>) {
  return { ...query, from: apiInstant(query.from), to: apiInstant(query.to) };
}

const auditPath = (id: string) => `/admin/audit/${encodeURIComponent(id)}`;
const filteredBy = (filter: Filter, value: string) => withQuery("/admin/audit", { [filter]: value });

function AuditFilters({ query }: { query: Record<Filter, string | undefined> }) {
  const more = FILTERS.slice(4).some((key) => query[key] !== undefined);
  return (
    <Filters action="/admin/audit">
      <Input name="q" label="Text contains" value={query.q} />
      <Select name="action" label="Action" options={AUDIT_ACTIONS} value={query.action} />
      <Select name="status" label="Status" options={AUDIT_STATUSES} value={query.status} />
      <Select name="actorType" label="Actor type" options={ACTOR_TYPES} value={query.actorType} />
      <DateTimeInput name="from" label="From" value={query.from} />
      <DateTimeInput name="to" label="Before" value={query.to} />
      <details class="more-filters" open={more}>
        <summary>More filters</summary>
        <div class="filter-grid">
          <Input name="actorId" label="Actor id" value={query.actorId} placeholder="usr_…" />
          <Input name="apiKeyId" label="API key id" value={query.apiKeyId} placeholder="key_…" />
          <Input name="targetType" label="Target type" value={query.targetType} placeholder="user" />
          <Input name="targetId" label="Target id" value={query.targetId} />
          <Input name="ip" label="IP address" value={query.ip} />
          <Input name="country" label="Country (2 letters)" value={query.country} placeholder="DE" />
          <Input name="requestId" label="Request id" value={query.requestId} />
          <Input name="clientRequestId" label="Client request id" value={query.clientRequestId} />
        </div>
      </details>
    </Filters>
  );
}

/** Download the entries matching the current filters (every page, not just this one), streamed by the API. */
function ExportForm({ query }: { query: Record<Filter, string | undefined> }) {
  return (
    <form method="get" action="/admin/audit/export" class="action export">
      {FILTERS.map((key) => query[key] !== undefined && <input type="hidden" name={key} value={query[key]} />)}
      <label>
        Export format
        <select name="format">
          {EXPORT_FORMATS.map((format) => (
            <option value={format}>{format.toUpperCase()}</option>
          ))}
        </select>
      </label>
      <button type="submit">Export matching entries</button>
    </form>
  );
}

function Actor({ entry }: { entry: Pick<AuditLog, "actorType" | "actorId" | "apiKeyId"> }) {
  return (
    <>
      <span class="muted">{entry.actorType}</span> {entry.actorId && <a href={filteredBy("actorId", entry.actorId)}>{entry.actorId}</a>}
      {entry.apiKeyId && (
        <>
          {" via "}
          <a href={filteredBy("apiKeyId", entry.apiKeyId)}>{entry.apiKeyId}</a>
        </>
      )}
    </>
  );
}

function Target({ entry }: { entry: Pick<AuditLog, "targetType" | "targetId"> }) {
  if (!entry.targetType && !entry.targetId) return <span class="muted">—</span>;
  return (
    <>
      {entry.targetType && <span class="muted">{entry.targetType}</span>}{" "}
      {entry.targetId && <a href={filteredBy("targetId", entry.targetId)}>{entry.targetId}</a>}
    </>
  );
}

function AuditRows({ entries }: { entries: AuditLog[] }) {
  if (entries.length === 0) return <Empty text="No audit entries match." />;
  return (
    <table>
      <caption class="visually-hidden">Audit entries, newest first</caption>
      <thead>
        <tr>
          <th scope="col">When</th>
          <th scope="col">Action</th>
          <th scope="col">Status</th>
          <th scope="col">Actor</th>
          <th scope="col">Target</th>
          <th scope="col">From</th>
        </tr>
      </thead>
      <tbody>
        {entries.map((entry) => (
          <tr>
            <td>
              <a href={auditPath(entry.id)}>
                <Time iso={entry.createdAt} />
              </a>
            </td>
            <th scope="row" class="wrap">
              <a href={auditPath(entry.id)}>{entry.action}</a>
            </th>
            <td>
              <Badge value={entry.status} />
            </td>
            <td class="wrap">
              <Actor entry={entry} />
            </td>
            <td class="wrap">
              <Target entry={entry} />
            </td>
            <td class="wrap">
              {entry.ip ?? <span class="muted">—</span>}
              {entry.country && <span class="muted"> {entry.country}</span>}
            </td>
          </tr>
        ))}
      </tbody>
    </table>
  );
}

/** A recorded value as exact JSON text (strings keep their quotes, so `"1"` and `1` differ visibly). */
function Value({ value, present }: { value: unknown; present: boolean }) {
  if (!present) return <span class="muted">(absent)</span>;
  const text = JSON.stringify(value, null, 2) ?? "undefined";
  return text.includes("\n") ? <pre class="value">{text}</pre> : <code class="value">{text}</code>;
}

/** The change field by field: what it was, what it became; unchanged fields (recorded for context) are marked so. */
function DiffTable({ diff }: { diff: FieldChange[] }) {
  return (
    <table class="diff">
      <caption>Changed fields</caption>
      <thead>
        <tr>
          <th scope="col">Field</th>
          <th scope="col">Change</th>
          <th scope="col">Before</th>
          <th scope="col">After</th>
        </tr>
      </thead>
      <tbody>
        {diff.map((change) => {
          const kind =
            change.kind === "changed" && JSON.stringify(change.before) === JSON.stringify(change.after) ? "unchanged" : change.kind;
          return (
            <tr class={`diff-${kind}`}>
              <th scope="row" class="wrap">
                <code>{change.field}</code>
              </th>
              <td>{kind}</td>
              <td class="wrap">
                <Value value={change.before} present={change.kind !== "added"} />
              </td>
              <td class="wrap">
                <Value value={change.after} present={change.kind !== "removed"} />
              </td>
            </tr>
          );
        })}
      </tbody>
    </table>
  );
}

function AuditDetailView({ entry }: { entry: AuditDetail }) {
  return (
    <>
      <Facts
        items={[
          ["Action", <code>{entry.action}</code>],
          ["Status", <Badge value={entry.status} />],
          ["When", <Time iso={entry.createdAt} />],
          ["Actor", <Actor entry={entry} />],
          ["Target", <Target entry={entry} />],
          ["IP address", entry.ip ? <a href={filteredBy("ip", entry.ip)}>{entry.ip}</a> : null],
          ["Location", [entry.city, entry.country, entry.colo && `colo ${entry.colo}`].filter(Boolean).join(", ") || null],
          ["User agent", entry.userAgent],
          ["Request id", entry.requestId ? <a href={filteredBy("requestId", entry.requestId)}>{entry.requestId}</a> : null],
          ["Client request id", entry.clientRequestId],
          ["Duration", entry.durationMs === null ? null : `${entry.durationMs} ms`],
          ["Entry id", <code>{entry.id}</code>],
        ]}
      />
      <h2>Change</h2>
      {entry.diff && entry.diff.length > 0 ? <DiffTable diff={entry.diff} /> : <Empty text="This entry records no before/after change." />}
      <h2>Metadata</h2>
      {entry.metadata === null || entry.metadata === undefined ? <Empty text="No metadata." /> : <Json value={entry.metadata} />}
      {entry.changes !== null && entry.changes !== undefined && (
        <details>
          <summary>The change as recorded (JSON)</summary>
          <Json value={entry.changes} />
        </details>
      )}
    </>
  );
}

const plural = (n: number, one: string, many = `${one}s`) => `${n} ${n === 1 ? one : many}`;

/** PASS with what was checked, or FAIL naming (and linking) the first bad row, then every finding. */
function VerifyVerdict({ report }: { report: VerifyReport }) {
  const scope = (
    <>
      between <Time iso={report.from} /> and <Time iso={report.to} />
    </>
  );
  const coverage = report.sealedThrough ? (
    <p class="muted">
      Sealed through <Time iso={report.sealedThrough} />; entries written after that are not sealed yet and so not covered.
    </p>
  ) : (
    <p class="muted">No period has been sealed yet: there is nothing to verify against.</p>
  );
  if (report.ok) {
    return (
      <>
        <div class="verdict verdict-pass" role="status">
          <p>
            PASS: the audit trail matches its seals. Checked {plural(report.periodsChecked, "sealed period")} (
            {plural(report.prunedPeriods, "pruned by retention", "pruned by retention")}) and{" "}
            {plural(report.rowsChecked, "entry", "entries")} {scope}; every seal links to the one before it.
          </p>
        </div>
        {coverage}
      </>
    );
  }
  const first = report.findings[0];
  const firstRow = report.findings.find((finding) => typeof finding.firstBadRowId === "string");
  const firstRowId = firstRow?.firstBadRowId as string | undefined;
  return (
    <>
      <div class="verdict verdict-fail" role="alert">
        <p>
          FAIL: the audit trail does not match its seals ({plural(report.findings.length, "finding")} in{" "}
          {plural(report.periodsChecked, "sealed period")} {scope}).
        </p>
        {firstRowId ? (
          <p>
            First bad row: <a href={auditPath(firstRowId)}>{firstRowId}</a> ({String(firstRow?.kind)}).{" "}
            {typeof firstRow?.detail === "string" && firstRow.detail}
          </p>
        ) : (
          first && <p>{typeof first.detail === "string" ? first.detail : first.kind}</p>
        )}
      </div>
      {coverage}
      <table>
        <caption>Findings, in seal order</caption>
        <thead>
          <tr>
            <th scope="col">Period</th>
            <th scope="col">Kind</th>
            <th scope="col">First bad row</th>
            <th scope="col">Changed / deleted / inserted</th>
            <th scope="col">Detail</th>
          </tr>
        </thead>
        <tbody>
          {report.findings.map((finding) => (
            <tr>
              <th scope="row">
                <Time iso={finding.periodStart as string} /> – <Time iso={finding.periodEnd as string} />
              </th>
              <td>
                <Badge value={finding.kind} />
              </td>
              <td class="wrap">
                {typeof finding.firstBadRowId === "string" ? (
                  <a href={auditPath(finding.firstBadRowId)}>{finding.firstBadRowId}</a>
                ) : (
                  <span class="muted">—</span>
                )}
              </td>
              <td class="num">{`${finding.edited ?? 0} / ${finding.deleted ?? 0} / ${finding.inserted ?? 0}`}</td>
              <td class="wrap">{typeof finding.detail === "string" ? finding.detail : ""}</td>
            </tr>
          ))}
        </tbody>
      </table>
    </>
  );
}

/** The audit trail: search with every filter the API takes, one entry with its diff, export, and seal verification. */
export const auditPage = new Hono<ConsoleEnv>()
  .get("/audit", async (c) => {
    const query = readQuery(c, [...FILTERS, "cursor"] as const);
    const result = await loadFiltered(c.var.api.get<ApiPage<AuditLog>>("/v1/admin/audit-logs", { ...apiFilters(query), limit: 50 }));
    const { cursor: _cursor, ...filters } = query;
    return c.html(
      <Page title="Audit trail" section="audit" admin={c.var.auth?.user.name} csrfToken={c.var.csrfToken} flash={takeFlash(c)}>
        <p>
          <a href="/admin/audit/verify">Verify the trail against its seals</a>
        </p>
        <AuditFilters query={query} />
        <ExportForm query={filters} />
        {result.ok ? (
          <>
            <AuditRows entries={result.value.data} />
            <Pager path="/admin/audit" query={query} nextCursor={result.value.nextCursor} />
          </>
        ) : (
          <FilterProblem problem={result.problem} />
        )}
      </Page>,
    );
  })
  .get("/audit/export", async (c) => {
    const query = readQuery(c, [...FILTERS, "format"] as const);
    const response = await c.var.api.raw("GET", withQuery("/v1/admin/audit-logs/export", { ...apiFilters(query), format: query.format }));
    if (!response.ok) {
      const problem = (await response.json().catch(() => ({}))) as Record<string, unknown>;
      throw new ConsoleApiError(
        response.status,
        (problem.code as ConsoleApiError["code"] | undefined) ?? "unknown",
        problemText(problem, response.status),
        typeof problem.requestId === "string" ? problem.requestId : null,
      );
    }
    const headers = new Headers({ "Cache-Control": "no-store" });
    for (const name of EXPORT_HEADERS) {
      const value = response.headers.get(name);
      if (value !== null) headers.set(name, value);
    }
    return new Response(response.body, { status: 200, headers });
  })
  .get("/audit/verify", async (c) => {
    const query = readQuery(c, ["from", "to"] as const);
    const result = await loadFiltered(
      c.var.api.get<VerifyReport>("/v1/admin/audit-logs/verify", { from: apiInstant(query.from), to: apiInstant(query.to) }),
    );
    return c.html(
      <Page title="Verify the audit trail" section="audit" admin={c.var.auth?.user.name} csrfToken={c.var.csrfToken} flash={takeFlash(c)}>
        <p>
          <a href="/admin/audit">Audit trail</a>
        </p>
        <p>
          Every closed hour of the trail is sealed: its entries are hashed in order, chained to the seal before. Verifying recomputes the
          hashes and names the first entry changed, deleted or slipped in since. Without times, the last 24 hours are checked (at most 31
          days at a time).
        </p>
        <form method="get" action="/admin/audit/verify" class="filters">
          <DateTimeInput name="from" label="From" value={query.from} />
          <DateTimeInput name="to" label="Before" value={query.to} />
          <button type="submit">Verify</button>
        </form>
        {result.ok ? <VerifyVerdict report={result.value} /> : <FilterProblem problem={result.problem} />}
      </Page>,
    );
  })
  .get("/audit/:id", async (c) => {
    const { auditLog } = await c.var.api
      .get<{ auditLog: AuditDetail }>(`/v1/admin/audit-logs/${encodeURIComponent(c.req.param("id"))}`)
      .catch((error: unknown) => {
        // The API refuses what is not an audit id at all (400): for a page, that is a page that does not exist.
        if (error instanceof ConsoleApiError && error.status === 400) {
          throw new ConsoleApiError(404, "not_found", "There is no such audit entry.", error.requestId);
        }
        throw error;
      });
    return c.html(
      <Page title="Audit entry" section="audit" admin={c.var.auth?.user.name} csrfToken={c.var.csrfToken} flash={takeFlash(c)}>
        <p>
          <a href="/admin/audit">Audit trail</a>
        </p>
        <AuditDetailView entry={auditLog} />
      </Page>,
    );
  });

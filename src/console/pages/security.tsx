import { Hono } from "hono";
import type { z } from "zod";
import { RATE_LIMIT_KEY_KINDS, SECURITY_EVENT_STATUSES, SECURITY_EVENT_TYPES, SECURITY_SEVERITIES } from "../../db/schema";
import { RATE_LIMIT_POLICIES } from "../../lib/security/rate-limit";
import type { Page as ApiPage } from "../../lib/validation/pagination";
import { securityEventIdParam } from "../../lib/validation/security-events";
import type { rateLimitBlockSchema, rateLimitLogSchema, unblockedSchema } from "../../openapi/schemas/rate-limit";
import type { securityEventDetailSchema, securityEventSchema } from "../../openapi/schemas/security-event";
import { runAction } from "../actions";
import type { ConsoleEnv } from "../env";
import { takeFlash } from "../flash";
import { Choice } from "../ui/choice";
import { ActionForm, Badge, Empty, Facts, Filters, Input, Json, Live, Pager, Select, Time } from "../ui/components";
import { Page } from "../ui/layout";
import { apiInstant, DateTimeInput, FilterProblem, herePath, loadFiltered, readQuery } from "../ui/list-query";
import { problemPage } from "../ui/problem-page";
import { SubNav } from "../ui/sub-nav";

type SecurityEvent = z.infer<typeof securityEventSchema>;
type SecurityEventDetail = z.infer<typeof securityEventDetailSchema>;
type Block = z.infer<typeof rateLimitBlockSchema>;
type RateLimitLog = z.infer<typeof rateLimitLogSchema>;
type Unblocked = z.infer<typeof unblockedSchema>;
type Status = SecurityEvent["status"];

const PAGE_SIZE = 50;
const VIEWS = [
  ["/admin/security", "Events"],
  ["/admin/security/blocks", "Blocked keys"],
  ["/admin/security/rate-limits", "Rate-limit log"],
] as const;

/** The moves the API allows from each state (src/routes/admin-security-events.ts); it is the one that enforces them. */
const TRANSITIONS: Record<Status, readonly Status[]> = {
  OPEN: ["INVESTIGATING", "RESOLVED", "FALSE_POSITIVE"],
  INVESTIGATING: ["RESOLVED", "FALSE_POSITIVE"],
  RESOLVED: ["INVESTIGATING"],
  FALSE_POSITIVE: ["INVESTIGATING"],
};
const STATUS_TEXT: Record<Status, string> = {
  OPEN: "open",
  INVESTIGATING: "investigating",
  RESOLVED: "resolved",
  FALSE_POSITIVE: "false positive",
};

/** An event's place as words: "Berlin, DE (52.52, 13.405)", or nothing known. */
function place(location: SecurityEvent["location"]): string | null {
  const name = [location.city, location.country].filter(Boolean).join(", ");
  const coordinates = location.latitude !== null && location.longitude !== null ? `(${location.latitude}, ${location.longitude})` : "";
  return [name, coordinates].filter(Boolean).join(" ") || null;
}

const eventsBy = (filter: Record<string, string>) => `/admin/security?${new URLSearchParams(filter)}`;

function EventRows({ events }: { events: SecurityEvent[] }) {
  if (events.length === 0) return <Empty text="No security events match." />;
  return (
    <table>
      <caption>Security events, newest first</caption>
      <thead>
        <tr>
          <th scope="col">Event</th>
          <th scope="col">Severity</th>
          <th scope="col">Status</th>
          <th scope="col">When</th>
          <th scope="col">Actor</th>
          <th scope="col">Address</th>
          <th scope="col">Place</th>
        </tr>
      </thead>
      <tbody>
        {events.map((event) => (
          <tr>
            <th scope="row">
              <a href={`/admin/security/${event.id}`}>{event.type}</a>
            </th>
            <td>
              <Badge value={event.severity} />
            </td>
            <td>
              <Badge value={event.status} />
            </td>
            <td>
              <Time iso={event.createdAt} />
            </td>
            <td class="wrap">
              {event.actorId ? <a href={eventsBy({ actorId: event.actorId })}>{event.actorId}</a> : <span class="muted">—</span>}
            </td>
            <td class="wrap">{event.ip ? <a href={eventsBy({ ip: event.ip })}>{event.ip}</a> : <span class="muted">—</span>}</td>
            <td class="wrap">{place(event.location) ?? <span class="muted">—</span>}</td>
          </tr>
        ))}
      </tbody>
    </table>
  );
}

function TriageForm({ event, csrfToken }: { event: SecurityEventDetail; csrfToken: string }) {
  const moves = TRANSITIONS[event.status];
  const path = `/admin/security/${event.id}`;
  return (
    <ActionForm action={`${path}/triage`} csrfToken={csrfToken} back={path} label="Save">
      <Choice name="status" label="Move to" options={moves.map((status) => [status, STATUS_TEXT[status]] as const)} />
      <label>
        Note (required: what you found or did)
        <textarea name="note" rows={3} maxlength={2000} required></textarea>
      </label>
    </ActionForm>
  );
}

function History({ history }: { history: SecurityEventDetail["history"] }) {
  if (history.length === 0) return <Empty text="Nobody has triaged this event yet." />;
  return (
    <table>
      <caption>Triage history, oldest first</caption>
      <thead>
        <tr>
          <th scope="col">When</th>
          <th scope="col">By</th>
          <th scope="col">From</th>
          <th scope="col">To</th>
          <th scope="col">Note</th>
        </tr>
      </thead>
      <tbody>
        {history.map((entry) => (
          <tr>
            <td>
              <Time iso={entry.at} />
            </td>
            <td class="wrap">{entry.by ?? <span class="muted">—</span>}</td>
            <td>
              <Badge value={entry.from} />
            </td>
            <td>
              <Badge value={entry.to} />
            </td>
            <td class="wrap">{entry.note ?? <span class="muted">—</span>}</td>
          </tr>
        ))}
      </tbody>
    </table>
  );
}

function EventDetail({ event, csrfToken }: { event: SecurityEventDetail; csrfToken: string }) {
  return (
    <>
      <p class="lead">
        <Badge value={event.severity} /> {event.type} <Badge value={event.status} />
      </p>
      <Facts
        items={[
          ["Id", <code>{event.id}</code>],
          ["When", <Time iso={event.createdAt} />],
          ["Last changed", <Time iso={event.updatedAt} />],
          ["Actor", event.actorId ? <a href={eventsBy({ actorId: event.actorId })}>{event.actorId}</a> : null],
          ["API key", event.apiKeyId],
          ["Address", event.ip ? <a href={eventsBy({ ip: event.ip })}>{event.ip}</a> : null],
          ["Place", place(event.location)],
          ["User agent", event.userAgent],
          ["Request id", event.requestId],
          ["Resolution note", event.resolutionNote],
          ["Changed by", event.updatedBy],
        ]}
      />
      <h2>Triage</h2>
      <TriageForm event={event} csrfToken={csrfToken} />
      <h2>Details</h2>
      <Json value={event.details} />
      <h2>History</h2>
      <History history={event.history} />
    </>
  );
}

function BlockRows({ blocks, csrfToken, back }: { blocks: Block[]; csrfToken: string; back: string }) {
  if (blocks.length === 0) return <Empty text="No key is blocked." />;
  return (
    <table>
      <caption>Keys blocked now, most recently blocked first</caption>
      <thead>
        <tr>
          <th scope="col">Key</th>
          <th scope="col">Policy</th>
          <th scope="col" class="num">
            Level
          </th>
          <th scope="col" class="num">
            Denied in window
          </th>
          <th scope="col">Blocked at</th>
          <th scope="col">Blocked until</th>
          <th scope="col">Action</th>
        </tr>
      </thead>
      <tbody>
        {blocks.map((block) => (
          <tr>
            <th scope="row" class="wrap">
              <code>{block.key}</code> <span class="muted">{block.keyKind}</span>
            </th>
            <td>{block.policy}</td>
            <td class="num">{block.level}</td>
            <td class="num">{block.breachesInWindow}</td>
            <td>
              <Time iso={block.blockedAt} />
            </td>
            <td>
              <Time iso={block.blockedUntil} />
            </td>
            <td>
              <ActionForm
                action="/admin/security/blocks/unblock"
                csrfToken={csrfToken}
                back={back}
                label="Unblock"
                confirm={`Lift the ${block.policy} block on ${block.key}?`}
              >
                <input type="hidden" name="policy" value={block.policy} />
                <input type="hidden" name="key" value={block.key} />
              </ActionForm>
            </td>
          </tr>
        ))}
      </tbody>
    </table>
  );
}

function LogRows({ logs }: { logs: RateLimitLog[] }) {
  if (logs.length === 0) return <Empty text="No rate-limit breaches match." />;
  return (
    <table>
      <caption>Windows in which a key went over its limit, newest first</caption>
      <thead>
        <tr>
          <th scope="col">Key</th>
          <th scope="col">Policy</th>
          <th scope="col">Window start</th>
          <th scope="col" class="num">
            Denied
          </th>
          <th scope="col">Limit</th>
          <th scope="col">Blocked until</th>
          <th scope="col" class="num">
            Block level
          </th>
        </tr>
      </thead>
      <tbody>
        {logs.map((log) => (
          <tr>
            <th scope="row" class="wrap">
              <a href={`/admin/security/rate-limits?${new URLSearchParams({ key: log.key })}`}>
                <code>{log.key}</code>
              </a>{" "}
              <span class="muted">{log.keyKind}</span>
            </th>
            <td>{log.policy}</td>
            <td>
              <Time iso={log.windowStart} />
            </td>
            <td class="num">{log.breaches}</td>
            <td>{`${log.limit} per ${log.windowSeconds} s`}</td>
            <td>
              <Time iso={log.blockedUntil} />
            </td>
            <td class="num">{log.blockLevel}</td>
          </tr>
        ))}
      </tbody>
    </table>
  );
}

const EVENT_FILTERS = ["type", "severity", "status", "actorId", "ip", "from", "to", "cursor"] as const;
const BLOCK_FILTERS = ["policy", "keyKind", "cursor"] as const;
const LOG_FILTERS = ["policy", "keyKind", "key", "blocked", "from", "to", "cursor"] as const;

/**
 * Security: events with their triage workflow, the keys rate limiting has blocked (with unblock) and
 * the breach log, each view linking to the others.
 */
export const securityPage = new Hono<ConsoleEnv>()
  .get("/security", async (c) => {
    const query = readQuery(c, EVENT_FILTERS);
    const events = await loadFiltered(
      c.var.api.get<ApiPage<SecurityEvent>>("/v1/admin/security-events", {
        ...query,
        from: apiInstant(query.from),
        to: apiInstant(query.to),
        limit: PAGE_SIZE,
      }),
    );
    return c.html(
      <Page title="Security events" section="security" admin={c.var.auth?.user.name} csrfToken={c.var.csrfToken} flash={takeFlash(c)}>
        <SubNav label="Security views" current="/admin/security" links={VIEWS} />
        <Filters action="/admin/security">
          <Select name="type" label="Type" options={SECURITY_EVENT_TYPES} value={query.type} />
          <Select name="severity" label="Severity" options={SECURITY_SEVERITIES} value={query.severity} />
          <Select name="status" label="Status" options={SECURITY_EVENT_STATUSES} value={query.status} />
          <Input name="actorId" label="Actor (user id)" value={query.actorId} />
          <Input name="ip" label="Address" value={query.ip} />
          <DateTimeInput name="from" label="From" value={query.from} />
          <DateTimeInput name="to" label="Until" value={query.to} />
        </Filters>
        <Live id="security-live" every={10}>
          {events.ok ? (
            <>
              <EventRows events={events.value.data} />
              <Pager path="/admin/security" query={query} nextCursor={events.value.nextCursor} />
            </>
          ) : (
            <FilterProblem problem={events.problem} />
          )}
        </Live>
      </Page>,
    );
  })

  .get("/security/blocks", async (c) => {
    const query = readQuery(c, BLOCK_FILTERS);
    const blocks = await loadFiltered(c.var.api.get<ApiPage<Block>>("/v1/admin/rate-limits/blocks", { ...query, limit: PAGE_SIZE }));
    return c.html(
      <Page title="Blocked keys" section="security" admin={c.var.auth?.user.name} csrfToken={c.var.csrfToken} flash={takeFlash(c)}>
        <SubNav label="Security views" current="/admin/security/blocks" links={VIEWS} />
        <Filters action="/admin/security/blocks">
          <Select name="policy" label="Policy" options={RATE_LIMIT_POLICIES} value={query.policy} />
          <Select name="keyKind" label="Key kind" options={RATE_LIMIT_KEY_KINDS} value={query.keyKind} />
        </Filters>
        <Live id="blocks-live" every={15}>
          {blocks.ok ? (
            <>
              <BlockRows blocks={blocks.value.data} csrfToken={c.var.csrfToken} back={herePath(c)} />
              <Pager path="/admin/security/blocks" query={query} nextCursor={blocks.value.nextCursor} />
            </>
          ) : (
            <FilterProblem problem={blocks.problem} />
          )}
        </Live>
      </Page>,
    );
  })

  .post("/security/blocks/unblock", (c) =>
    runAction(
      c,
      {
        back: "/admin/security/blocks",
        success: ({ unblocked }: Unblocked) => `The ${unblocked.policy} block on ${unblocked.key} is lifted.`,
      },
      // Keys hold ':', '/', '@', '%'…: each is one path segment of the API's URL, encoded.
      (form, csrf) =>
        c.var.api.delete<Unblocked>(
          `/v1/admin/rate-limits/blocks/${encodeURIComponent(form.policy ?? "")}/${encodeURIComponent(form.key ?? "")}`,
          csrf,
        ),
    ),
  )

  .get("/security/rate-limits", async (c) => {
    const query = readQuery(c, LOG_FILTERS);
    const logs = await loadFiltered(
      c.var.api.get<ApiPage<RateLimitLog>>("/v1/admin/rate-limits/logs", {
        ...query,
        from: apiInstant(query.from),
        to: apiInstant(query.to),
        limit: PAGE_SIZE,
      }),
    );
    return c.html(
      <Page title="Rate-limit log" section="security" admin={c.var.auth?.user.name} csrfToken={c.var.csrfToken} flash={takeFlash(c)}>
        <SubNav label="Security views" current="/admin/security/rate-limits" links={VIEWS} />
        <Filters action="/admin/security/rate-limits">
          <Select name="policy" label="Policy" options={RATE_LIMIT_POLICIES} value={query.policy} />
          <Select name="keyKind" label="Key kind" options={RATE_LIMIT_KEY_KINDS} value={query.keyKind} />
          <Input name="key" label="Key" value={query.key} placeholder="ip:203.0.113.9" />
          <Select name="blocked" label="Ended in a block" options={["true", "false"]} value={query.blocked} />
          <DateTimeInput name="from" label="Window from" value={query.from} />
          <DateTimeInput name="to" label="Window until" value={query.to} />
        </Filters>
        {logs.ok ? (
          <>
            <LogRows logs={logs.value.data} />
            <Pager path="/admin/security/rate-limits" query={query} nextCursor={logs.value.nextCursor} />
          </>
        ) : (
          <FilterProblem problem={logs.problem} />
        )}
      </Page>,
    );
  })

  .get("/security/:id", async (c) => {
    const id = c.req.param("id");
    if (!securityEventIdParam.safeParse({ id }).success) {
      return c.html(problemPage("Not found", "There is no such security event.", c.var.requestId), 404);
    }
    const event = await c.var.api.get<SecurityEventDetail>(`/v1/admin/security-events/${encodeURIComponent(id)}`);
    return c.html(
      <Page title="Security event" section="security" admin={c.var.auth?.user.name} csrfToken={c.var.csrfToken} flash={takeFlash(c)}>
        <SubNav label="Security views" current="" links={VIEWS} />
        <EventDetail event={event} csrfToken={c.var.csrfToken} />
      </Page>,
    );
  })

  .post("/security/:id/triage", (c) => {
    const id = c.req.param("id");
    return runAction(
      c,
      {
        back: `/admin/security/${encodeURIComponent(id)}`,
        success: (event: SecurityEvent) => `The event is now ${STATUS_TEXT[event.status]}.`,
      },
      (form, csrf) =>
        c.var.api.patch<SecurityEvent>(
          `/v1/admin/security-events/${encodeURIComponent(id)}`,
          { status: form.status, note: form.note ?? "" },
          csrf,
        ),
    );
  });

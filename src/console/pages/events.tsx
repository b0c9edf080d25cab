import { Hono } from "hono";
import type { z } from "zod";
import { EVENT_STATUSES, EVENT_TYPES } from "../../db/schema";
import type { Page as ApiPage } from "../../lib/validation/pagination";
import type { domainEventDetailSchema, domainEventSchema, subscriberRetrySchema } from "../../openapi/schemas/event";
import { runAction } from "../actions";
import type { ConsoleEnv } from "../env";
import { takeFlash } from "../flash";
import { ActionForm, Badge, Empty, Facts, Filters, Json, Live, Pager, Select, Time } from "../ui/components";
import { Page } from "../ui/layout";
import { apiInstant, DateTimeInput, FilterProblem, herePath, loadFiltered, readQuery } from "../ui/list-query";

type DomainEvent = z.infer<typeof domainEventSchema>;
type EventDetail = z.infer<typeof domainEventDetailSchema>;
type Subscriber = EventDetail["subscribers"][number];
type WebhookAttempt = EventDetail["webhookDeliveries"][number];
type Retried = z.infer<typeof subscriberRetrySchema>;

/** The filters GET /v1/admin/events takes (src/routes/admin-events.ts). */
const FILTERS = ["type", "status", "from", "to", "cursor"] as const;

const eventPath = (id: string) => `/admin/events/${encodeURIComponent(id)}`;

function EventRows({ events }: { events: DomainEvent[] }) {
  if (events.length === 0) return <Empty text="No events match." />;
  return (
    <table>
      <caption class="visually-hidden">Domain events, newest first</caption>
      <thead>
        <tr>
          <th scope="col">When</th>
          <th scope="col">Type</th>
          <th scope="col">Status</th>
          <th scope="col">Aggregate</th>
          <th scope="col">Dispatches</th>
          <th scope="col">Error</th>
        </tr>
      </thead>
      <tbody>
        {events.map((event) => (
          <tr>
            <td>
              <a href={eventPath(event.id)}>
                <Time iso={event.createdAt} />
              </a>
            </td>
            <th scope="row">
              <a href={eventPath(event.id)}>{event.type}</a>
            </th>
            <td>
              <Badge value={event.status} />
            </td>
            <td class="wrap">
              <span class="muted">{event.aggregateType}</span> <code>{event.aggregateId}</code>
            </td>
            <td class="num">{event.dispatches}</td>
            <td class="wrap">{event.error ?? <span class="muted">—</span>}</td>
          </tr>
        ))}
      </tbody>
    </table>
  );
}

function SubscriberRows({ event, csrfToken, back }: { event: EventDetail; csrfToken: string; back: string }) {
  if (event.subscribers.length === 0) return <Empty text="No subscriber has taken this event yet." />;
  return (
    <table>
      <caption>Subscribers</caption>
      <thead>
        <tr>
          <th scope="col">Subscriber</th>
          <th scope="col">Status</th>
          <th scope="col">Attempts</th>
          <th scope="col">Last error</th>
          <th scope="col">Next attempt</th>
          <th scope="col">Done</th>
          <th scope="col">Retry</th>
        </tr>
      </thead>
      <tbody>
        {event.subscribers.map((subscriber: Subscriber) => (
          <tr>
            <th scope="row" class="wrap">
              <code>{subscriber.subscriber}</code>
            </th>
            <td>
              <Badge value={subscriber.status} />
            </td>
            <td class="num">{subscriber.attempts}</td>
            <td class="wrap">{subscriber.lastError ?? <span class="muted">—</span>}</td>
            <td>
              <Time iso={subscriber.nextAttemptAt} />
            </td>
            <td>
              <Time iso={subscriber.processedAt} />
            </td>
            <td>
              {subscriber.status === "FAILED" ? (
                <ActionForm
                  action={`${eventPath(event.id)}/subscribers/${encodeURIComponent(subscriber.subscriber)}/retry`}
                  csrfToken={csrfToken}
                  back={back}
                  label="Retry"
                />
              ) : (
                <span class="muted">—</span>
              )}
            </td>
          </tr>
        ))}
      </tbody>
    </table>
  );
}

function WebhookAttempts({ attempts }: { attempts: WebhookAttempt[] }) {
  if (attempts.length === 0) return <Empty text="No webhook delivery attempts for this event." />;
  return (
    <table>
      <caption>Webhook delivery attempts (every endpoint, oldest first)</caption>
      <thead>
        <tr>
          <th scope="col">When</th>
          <th scope="col">Endpoint</th>
          <th scope="col">Attempt</th>
          <th scope="col">Status</th>
          <th scope="col">Response</th>
          <th scope="col">Bodies</th>
        </tr>
      </thead>
      <tbody>
        {attempts.map((attempt) => (
          <tr>
            <th scope="row">
              <Time iso={attempt.createdAt} />
            </th>
            <td class="wrap">
              <code>{attempt.webhookId}</code>
            </td>
            <td class="num">{attempt.attempt}</td>
            <td>
              <Badge value={attempt.status} />
            </td>
            <td class="wrap">
              {attempt.response.status ?? <span class="muted">—</span>}
              {attempt.error && <span class="muted"> {attempt.error}</span>}
            </td>
            <td>
              <details class="exchange">
                <summary>
                  Request and response<span class="visually-hidden"> of attempt {attempt.attempt}</span>
                </summary>
                <h3>Request body</h3>
                {attempt.request.body === null ? (
                  <Empty text="Not recorded." />
                ) : (
                  <pre class="json" tabindex={0}>
                    {attempt.request.body}
                  </pre>
                )}
                <h3>Response body</h3>
                {attempt.response.body === null ? (
                  <Empty text="No response body." />
                ) : (
                  <pre class="json" tabindex={0}>
                    {attempt.response.body}
                  </pre>
                )}
              </details>
            </td>
          </tr>
        ))}
      </tbody>
    </table>
  );
}

/** The outbox: what happened, who received it and how it went, and retrying a subscriber that gave up. */
export const eventsPage = new Hono<ConsoleEnv>()
  .get("/events", async (c) => {
    const query = readQuery(c, FILTERS);
    const result = await loadFiltered(
      c.var.api.get<ApiPage<DomainEvent>>("/v1/admin/events", {
        ...query,
        from: apiInstant(query.from),
        to: apiInstant(query.to),
        limit: 50,
      }),
    );
    return c.html(
      <Page title="Events" section="events" admin={c.var.auth?.user.name} csrfToken={c.var.csrfToken} flash={takeFlash(c)}>
        <Filters action="/admin/events">
          <Select name="type" label="Type" options={EVENT_TYPES} value={query.type} />
          <Select name="status" label="Status" options={EVENT_STATUSES} value={query.status} />
          <DateTimeInput name="from" label="From" value={query.from} />
          <DateTimeInput name="to" label="Until" value={query.to} />
        </Filters>
        {result.ok ? (
          <>
            <EventRows events={result.value.data} />
            <Pager path="/admin/events" query={query} nextCursor={result.value.nextCursor} />
          </>
        ) : (
          <FilterProblem problem={result.problem} />
        )}
      </Page>,
    );
  })
  .get("/events/:id", async (c) => {
    const event = await c.var.api.get<EventDetail>(`/v1/admin/events/${encodeURIComponent(c.req.param("id"))}`);
    const back = herePath(c);
    return c.html(
      <Page title="Event" section="events" admin={c.var.auth?.user.name} csrfToken={c.var.csrfToken} flash={takeFlash(c)}>
        <p>
          <a href="/admin/events">All events</a>
        </p>
        <p class="lead">
          <code>{event.type}</code> <Badge value={event.status} />
        </p>
        <Facts
          items={[
            ["Created", <Time iso={event.createdAt} />],
            ["Processed", <Time iso={event.processedAt} />],
            ["Aggregate", `${event.aggregateType} ${event.aggregateId}`],
            ["Actor", event.actorId],
            ["Owner", event.ownerId],
            ["Payload version", String(event.version)],
            ["Dispatches", String(event.dispatches)],
            ["Error", event.error],
            ["Event id", <code>{event.id}</code>],
          ]}
        />
        <Live id="event-subscribers" every={10}>
          <SubscriberRows event={event} csrfToken={c.var.csrfToken} back={back} />
        </Live>
        <h2>Payload</h2>
        <Json value={event.payload} />
        <h2>Webhook deliveries</h2>
        <WebhookAttempts attempts={event.webhookDeliveries} />
      </Page>,
    );
  })
  .post("/events/:id/subscribers/:subscriber/retry", (c) =>
    runAction(
      c,
      {
        back: eventPath(c.req.param("id")),
        success: (retried: Retried) => `Subscriber ${retried.subscriber} will take event ${retried.eventId} again from its first attempt.`,
      },
      (_form, csrfToken) =>
        c.var.api.post<Retried>(
          `/v1/admin/events/${encodeURIComponent(c.req.param("id"))}/subscribers/${encodeURIComponent(c.req.param("subscriber"))}/retry`,
          {},
          csrfToken,
        ),
    ),
  );

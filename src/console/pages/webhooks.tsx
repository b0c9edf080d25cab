import { Hono } from "hono";
import type { z } from "zod";
import { EVENT_TYPES, WEBHOOK_DELIVERY_STATUSES } from "../../db/schema";
import { clock } from "../../lib/clock";
import type { Page as ApiPage } from "../../lib/validation/pagination";
import type { webhookDeliverySchema, webhookQueuedSchema, webhookRecoveredSchema, webhookSchema } from "../../openapi/schemas/webhook";
import { runAction } from "../actions";
import type { ConsoleEnv } from "../env";
import { takeFlash } from "../flash";
import { ActionForm, Badge, Empty, Facts, Filters, Pager, Select, Time } from "../ui/components";
import { Page } from "../ui/layout";
import { apiInstant, DateTimeInput, FilterProblem, herePath, loadFiltered, readQuery } from "../ui/list-query";

type Webhook = z.infer<typeof webhookSchema>;
type Delivery = z.infer<typeof webhookDeliverySchema>;
type Queued = z.infer<typeof webhookQueuedSchema>;
type Recovered = z.infer<typeof webhookRecoveredSchema>;

/** The filters GET /v1/webhooks/:id/deliveries takes (src/lib/validation/webhooks.ts). */
const DELIVERY_FILTERS = ["status", "eventType", "cursor"] as const;
const DAY_MS = 86_400_000;

const webhookPath = (id: string) => `/admin/webhooks/${encodeURIComponent(id)}`;
const apiPath = (id: string) => `/v1/webhooks/${encodeURIComponent(id)}`;

/** What the API shows an administrator here, said on every webhook page so nobody takes it for the whole platform. */
function Scope({ admin }: { admin: string | undefined }) {
  return (
    <p class="note">
      The webhooks API shows every account only the endpoints it registered itself, administrators included: these are the endpoints of{" "}
      <strong>your account{admin ? ` (${admin})` : ""}</strong>. Other accounts' deliveries appear with their events under{" "}
      <a href="/admin/events">Events</a>.
    </p>
  );
}

function EndpointState({ webhook }: { webhook: Webhook }) {
  if (webhook.active) return <Badge value={webhook.consecutiveFailures > 0 ? "failing" : "active"} />;
  return (
    <>
      <Badge value="disabled" />
      {webhook.disabledReason && <span class="muted"> {webhook.disabledReason}</span>}
    </>
  );
}

function EndpointRows({ webhooks }: { webhooks: Webhook[] }) {
  if (webhooks.length === 0) return <Empty text="Your account has no webhook endpoints." />;
  return (
    <table>
      <caption class="visually-hidden">Your webhook endpoints, newest first</caption>
      <thead>
        <tr>
          <th scope="col">Endpoint</th>
          <th scope="col">State</th>
          <th scope="col">Event types</th>
          <th scope="col">Succeeded</th>
          <th scope="col">Failed</th>
          <th scope="col">Last delivery</th>
        </tr>
      </thead>
      <tbody>
        {webhooks.map((webhook) => (
          <tr>
            <th scope="row" class="wrap">
              <a href={webhookPath(webhook.id)}>{webhook.url}</a>
              {webhook.description && <span class="muted"> {webhook.description}</span>}
            </th>
            <td>
              <EndpointState webhook={webhook} />
            </td>
            <td class="wrap">{webhook.eventTypes.length === 0 ? <span class="muted">every type</span> : webhook.eventTypes.join(", ")}</td>
            <td class="num">{webhook.successCount}</td>
            <td class="num">{webhook.failureCount}</td>
            <td>
              <Time iso={webhook.lastDeliveryAt} />
            </td>
          </tr>
        ))}
      </tbody>
    </table>
  );
}

/** Headers and body as the receiver got them (or answered), as escaped text. */
function Exchange({ delivery }: { delivery: Delivery }) {
  return (
    <details class="exchange">
      <summary>
        Request and response<span class="visually-hidden"> of attempt {delivery.attempt}</span>
      </summary>
      <h3>Request headers</h3>
      {delivery.request.headers ? (
        <table class="headers">
          <caption class="visually-hidden">Request headers</caption>
          <tbody>
            {Object.entries(delivery.request.headers).map(([name, value]) => (
              <tr>
                <th scope="row">
                  <code>{name}</code>
                </th>
                <td class="wrap">
                  <code>{value}</code>
                </td>
              </tr>
            ))}
          </tbody>
        </table>
      ) : (
        <Empty text="Not recorded." />
      )}
      <h3>Request body</h3>
      {delivery.request.body === null ? (
        <Empty text="Not recorded." />
      ) : (
        <pre class="json" tabindex={0}>
          {delivery.request.body}
        </pre>
      )}
      <h3>Response {delivery.response.status === null ? "" : delivery.response.status}</h3>
      {delivery.response.body === null ? (
        <Empty text="No response body." />
      ) : (
        <pre class="json" tabindex={0}>
          {delivery.response.body}
        </pre>
      )}
    </details>
  );
}

function DeliveryRows({
  deliveries,
  webhookId,
  csrfToken,
  back,
}: {
  deliveries: Delivery[];
  webhookId: string;
  csrfToken: string;
  back: string;
}) {
  if (deliveries.length === 0) return <Empty text="No deliveries match." />;
  return (
    <table>
      <caption class="visually-hidden">Delivery attempts, newest first</caption>
      <thead>
        <tr>
          <th scope="col">When</th>
          <th scope="col">Event</th>
          <th scope="col">Attempt</th>
          <th scope="col">Status</th>
          <th scope="col">Response</th>
          <th scope="col">Detail</th>
          <th scope="col">Replay</th>
        </tr>
      </thead>
      <tbody>
        {deliveries.map((delivery) => (
          <tr>
            <th scope="row">
              <Time iso={delivery.createdAt} />
            </th>
            <td class="wrap">
              {delivery.eventType ?? <span class="muted">—</span>}
              <br />
              {delivery.eventId ? (
                <a href={`/admin/events/${encodeURIComponent(delivery.eventId)}`}>
                  <code>{delivery.eventId}</code>
                </a>
              ) : (
                <span class="muted">—</span>
              )}
            </td>
            <td class="num">{delivery.attempt}</td>
            <td>
              <Badge value={delivery.status} />
              {delivery.nextRetryAt && (
                <span class="muted">
                  {" "}
                  next <Time iso={delivery.nextRetryAt} />
                </span>
              )}
            </td>
            <td class="wrap">
              {delivery.response.status ?? <span class="muted">—</span>}
              {delivery.durationMs !== null && <span class="muted"> {delivery.durationMs} ms</span>}
              {delivery.error && <span class="muted"> {delivery.error}</span>}
            </td>
            <td>
              <Exchange delivery={delivery} />
            </td>
            <td>
              {delivery.eventId && (
                <ActionForm
                  action={`${webhookPath(webhookId)}/deliveries/${encodeURIComponent(delivery.id)}/replay`}
                  csrfToken={csrfToken}
                  back={back}
                  label="Replay"
                  confirm="Send this message to the endpoint again (same webhook-id)?"
                />
              )}
            </td>
          </tr>
        ))}
      </tbody>
    </table>
  );
}

function EndpointActions({ webhook, csrfToken, back }: { webhook: Webhook; csrfToken: string; back: string }) {
  const since = new Date(webhook.failingSince ? Date.parse(webhook.failingSince) : clock.now() - DAY_MS).toISOString();
  return (
    <section aria-labelledby="endpoint-actions">
      <h2 id="endpoint-actions">Actions</h2>
      <ActionForm action={`${webhookPath(webhook.id)}/test`} csrfToken={csrfToken} back={back} label="Send a test event" />
      <ActionForm
        action={`${webhookPath(webhook.id)}/recover`}
        csrfToken={csrfToken}
        back={back}
        label={webhook.active ? "Re-deliver failed messages" : "Re-enable and re-deliver failed messages"}
        confirm={
          webhook.active
            ? "Send every message that failed since this time again?"
            : "Re-enable this endpoint and send every message that failed since this time again?"
        }
      >
        {!webhook.active && <input type="hidden" name="enable" value="1" />}
        <DateTimeInput name="since" label="Failed since" value={since} required />
      </ActionForm>
      {!webhook.active && (
        <p class="muted">A disabled endpoint receives nothing, so recovering it re-enables it first (its failure record starts afresh).</p>
      )}
    </section>
  );
}

/** The admin's own webhook endpoints: deliveries, replay, recovery after a failure streak, test events. */
export const webhooksPage = new Hono<ConsoleEnv>()
  .get("/webhooks", async (c) => {
    const query = readQuery(c, ["cursor"] as const);
    const page = await c.var.api.get<ApiPage<Webhook>>("/v1/webhooks", { ...query, limit: 50 });
    return c.html(
      <Page title="Webhooks" section="webhooks" admin={c.var.auth?.user.name} csrfToken={c.var.csrfToken} flash={takeFlash(c)}>
        <Scope admin={c.var.auth?.user.email} />
        <EndpointRows webhooks={page.data} />
        <Pager path="/admin/webhooks" query={query} nextCursor={page.nextCursor} />
      </Page>,
    );
  })
  .get("/webhooks/:id", async (c) => {
    const id = c.req.param("id");
    const query = readQuery(c, DELIVERY_FILTERS);
    const [webhook, deliveries] = await Promise.all([
      c.var.api.get<Webhook>(apiPath(id)),
      loadFiltered(c.var.api.get<ApiPage<Delivery>>(`${apiPath(id)}/deliveries`, { ...query, limit: 50 })),
    ]);
    const back = herePath(c);
    return c.html(
      <Page title="Webhook endpoint" section="webhooks" admin={c.var.auth?.user.name} csrfToken={c.var.csrfToken} flash={takeFlash(c)}>
        <p>
          <a href="/admin/webhooks">Your endpoints</a>
        </p>
        <p class="lead wrap">{webhook.url}</p>
        <Facts
          items={[
            ["State", <EndpointState webhook={webhook} />],
            ["Description", webhook.description],
            ["Event types", webhook.eventTypes.length === 0 ? "every type" : webhook.eventTypes.join(", ")],
            ["Succeeded", String(webhook.successCount)],
            ["Failed", String(webhook.failureCount)],
            ["Failures in a row", String(webhook.consecutiveFailures)],
            ["Failing since", webhook.failingSince ? <Time iso={webhook.failingSince} /> : null],
            ["Disabled", webhook.disabledAt ? <Time iso={webhook.disabledAt} /> : null],
            ["Last delivery", <Time iso={webhook.lastDeliveryAt} />],
            ["Rate limit", webhook.maxPerSecond === null ? "none" : `${webhook.maxPerSecond} per second`],
            ["Created", <Time iso={webhook.createdAt} />],
            ["Endpoint id", <code>{webhook.id}</code>],
          ]}
        />
        <EndpointActions webhook={webhook} csrfToken={c.var.csrfToken} back={back} />
        <h2>Deliveries</h2>
        <Filters action={webhookPath(webhook.id)}>
          <Select name="status" label="Status" options={WEBHOOK_DELIVERY_STATUSES} value={query.status} />
          <Select name="eventType" label="Event type" options={EVENT_TYPES} value={query.eventType} />
        </Filters>
        {deliveries.ok ? (
          <>
            <DeliveryRows deliveries={deliveries.value.data} webhookId={webhook.id} csrfToken={c.var.csrfToken} back={back} />
            <Pager path={webhookPath(webhook.id)} query={query} nextCursor={deliveries.value.nextCursor} />
          </>
        ) : (
          <FilterProblem problem={deliveries.problem} />
        )}
      </Page>,
    );
  })
  .post("/webhooks/:id/deliveries/:deliveryId/replay", (c) =>
    runAction(
      c,
      {
        back: webhookPath(c.req.param("id")),
        success: (queued: Queued) => `The message of event ${queued.eventId} is queued for delivery again.`,
      },
      (_form, csrfToken) =>
        c.var.api.post<Queued>(
          `${apiPath(c.req.param("id"))}/deliveries/${encodeURIComponent(c.req.param("deliveryId"))}/replay`,
          {},
          csrfToken,
        ),
    ),
  )
  .post("/webhooks/:id/recover", (c) =>
    runAction(
      c,
      {
        back: webhookPath(c.req.param("id")),
        success: (recovered: Recovered) =>
          `${recovered.recovered} failed message${recovered.recovered === 1 ? " is" : "s are"} queued again${recovered.more ? "; more remain: recover again" : ""}.`,
      },
      async (form, csrfToken) => {
        const path = apiPath(c.req.param("id"));
        if (form.enable === "1") await c.var.api.patch(path, { active: true }, csrfToken);
        return c.var.api.post<Recovered>(`${path}/recover`, { since: apiInstant(form.since) ?? "" }, csrfToken);
      },
    ),
  )
  .post("/webhooks/:id/test", (c) =>
    runAction(
      c,
      {
        back: webhookPath(c.req.param("id")),
        success: (queued: Queued) => `A webhook.test event (${queued.eventId}) is queued for this endpoint.`,
      },
      (_form, csrfToken) => c.var.api.post<Queued>(`${apiPath(c.req.param("id"))}/test`, {}, csrfToken),
    ),
  );

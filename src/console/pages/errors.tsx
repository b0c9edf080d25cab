import { Hono } from "hono";
import type { z } from "zod";
import { ERROR_SEVERITIES } from "../../db/schema";
import type { Page as ApiPage } from "../../lib/validation/pagination";
import type { errorLogDetailSchema, errorLogSchema } from "../../openapi/schemas/error-log";
import { runAction } from "../actions";
import type { ConsoleEnv } from "../env";
import { takeFlash } from "../flash";
import { ActionForm, Badge, Empty, Facts, Filters, Input, Json, Pager, Select, Time } from "../ui/components";
import { Page } from "../ui/layout";

type ErrorLog = z.infer<typeof errorLogSchema>;
type ErrorDetail = z.infer<typeof errorLogDetailSchema>["error"];

const FILTERS = ["severity", "resolved", "q", "requestId", "cursor"] as const;
const SEVERITIES = ERROR_SEVERITIES.map((severity) => severity.toLowerCase());

function ErrorRows({ errors }: { errors: ErrorLog[] }) {
  if (errors.length === 0) return <Empty text="No errors match." />;
  return (
    <table>
      <caption class="visually-hidden">Tracked errors, most recently seen first</caption>
      <thead>
        <tr>
          <th scope="col">Error</th>
          <th scope="col">Severity</th>
          <th scope="col">Occurrences</th>
          <th scope="col">Last seen</th>
          <th scope="col">Where</th>
          <th scope="col">Status</th>
        </tr>
      </thead>
      <tbody>
        {errors.map((error) => (
          <tr>
            <td class="wrap">
              <a href={`/admin/errors/${error.id}`}>{error.message}</a>
              {error.errorCode && <span class="muted"> {error.errorCode}</span>}
            </td>
            <td>
              <Badge value={error.severity} />
            </td>
            <td class="num">{error.occurrences}</td>
            <td>
              <Time iso={error.lastSeenAt} />
            </td>
            <td class="wrap">{error.method && error.path ? `${error.method} ${error.path}` : error.source}</td>
            <td>
              <Badge value={error.resolved ? "resolved" : "open"} />
            </td>
          </tr>
        ))}
      </tbody>
    </table>
  );
}

/**
 * The body as the request sent it: recorded as (redacted) text, so shown as text, pretty-printed when
 * it is JSON, rather than as a JSON string literal with every quote escaped.
 */
function RequestBody({ body }: { body: unknown }) {
  if (body === null || body === undefined || body === "") return <Empty text="No body was recorded." />;
  if (typeof body !== "string") return <Json value={body} />;
  let text = body;
  try {
    text = JSON.stringify(JSON.parse(body), null, 2);
  } catch {}
  return (
    <pre class="json" tabindex={0}>
      {text}
    </pre>
  );
}

function ErrorDetailView({ error, csrfToken, back }: { error: ErrorDetail; csrfToken: string; back: string }) {
  return (
    <>
      <p class="lead wrap">{error.message}</p>
      <Facts
        items={[
          ["Severity", <Badge value={error.severity} />],
          ["Status", error.resolved ? <Badge value="resolved" /> : <Badge value="open" />],
          ["Occurrences", String(error.occurrences)],
          ["First seen", <Time iso={error.firstSeenAt} />],
          ["Last seen", <Time iso={error.lastSeenAt} />],
          ["Type", error.errorType],
          ["Code", error.errorCode],
          ["Source", error.source],
          ["Request", error.method && error.path ? `${error.method} ${error.path}` : null],
          ["Request id", error.requestId],
          ["Client request id", error.clientRequestId],
          ["User", error.userId],
          ["Fingerprint", <code>{error.fingerprint}</code>],
          ["Resolved", error.resolved ? <Time iso={error.resolvedAt} /> : null],
          ["Resolved by", error.resolvedBy],
          ["Resolution note", error.resolutionNote],
        ]}
      />
      {!error.resolved && (
        <ActionForm action={`/admin/errors/${error.id}/resolve`} csrfToken={csrfToken} back={back} label="Resolve">
          <label>
            Note (optional)
            <textarea name="note" rows={3} maxlength={2000}></textarea>
          </label>
        </ActionForm>
      )}
      <h2>Stack</h2>
      {error.stack ? (
        <pre class="stack" tabindex={0}>
          {error.stack}
        </pre>
      ) : (
        <Empty text="No stack was recorded." />
      )}
      <h2>Request headers</h2>
      <Json value={error.headers} />
      <h2>Request body</h2>
      <RequestBody body={error.body} />
    </>
  );
}

/** Tracked errors: filter, read one with its stack and request, resolve it with a note. */
export const errorsPage = new Hono<ConsoleEnv>()
  .get("/errors", async (c) => {
    const query = Object.fromEntries(FILTERS.map((key) => [key, c.req.query(key) || undefined]));
    const page = await c.var.api.get<ApiPage<ErrorLog>>("/v1/admin/errors", { ...query, limit: 50 });
    return c.html(
      <Page title="Errors" section="errors" admin={c.var.auth?.user.name} csrfToken={c.var.csrfToken} flash={takeFlash(c)}>
        <Filters action="/admin/errors">
          <Select name="severity" label="Severity" options={SEVERITIES} value={query.severity} />
          <Select name="resolved" label="Resolved" options={["false", "true"]} value={query.resolved} />
          <Input name="q" label="Message contains" value={query.q} />
          <Input name="requestId" label="Request id" value={query.requestId} />
        </Filters>
        <ErrorRows errors={page.data} />
        <Pager path="/admin/errors" query={query} nextCursor={page.nextCursor} />
      </Page>,
    );
  })
  .get("/errors/:id", async (c) => {
    const { error } = await c.var.api.get<{ error: ErrorDetail }>(`/v1/admin/errors/${encodeURIComponent(c.req.param("id"))}`);
    return c.html(
      <Page title="Error" section="errors" admin={c.var.auth?.user.name} csrfToken={c.var.csrfToken} flash={takeFlash(c)}>
        <p>
          <a href="/admin/errors">All errors</a>
        </p>
        <ErrorDetailView error={error} csrfToken={c.var.csrfToken} back={`/admin/errors/${error.id}`} />
      </Page>,
    );
  })
  .post("/errors/:id/resolve", (c) =>
    runAction(c, { back: "/admin/errors", success: "The error is resolved." }, (form, csrfToken) =>
      c.var.api.post(
        `/v1/admin/errors/${encodeURIComponent(c.req.param("id"))}/resolve`,
        form.note?.trim() ? { note: form.note } : {},
        csrfToken,
      ),
    ),
  );

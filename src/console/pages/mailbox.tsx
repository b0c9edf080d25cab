import { Hono } from "hono";
import type { z } from "zod";
import { EMAIL_STATUSES } from "../../db/schema";
import { EMAIL_TEMPLATE_NAMES } from "../../lib/email/templates";
import type { Page as ApiPage } from "../../lib/validation/pagination";
import type { emailMessageDetailSchema, emailMessageSchema } from "../../openapi/schemas/email";
import type { ConsoleEnv } from "../env";
import { takeFlash } from "../flash";
import { Badge, Empty, Facts, Filters, Input, Pager, Select, Time } from "../ui/components";
import { Page } from "../ui/layout";
import { FilterProblem, loadFiltered, readQuery } from "../ui/list-query";

type Message = z.infer<typeof emailMessageSchema>;
type MessageDetail = z.infer<typeof emailMessageDetailSchema>;

/** The filters GET /v1/admin/mailbox takes (src/lib/validation/email.ts). */
const FILTERS = ["to", "status", "template", "cursor"] as const;

const messagePath = (id: string) => `/admin/mailbox/${encodeURIComponent(id)}`;

function MessageRows({ messages }: { messages: Message[] }) {
  if (messages.length === 0) return <Empty text="No messages match." />;
  return (
    <table>
      <caption class="visually-hidden">Messages, newest first</caption>
      <thead>
        <tr>
          <th scope="col">Queued</th>
          <th scope="col">Subject</th>
          <th scope="col">To</th>
          <th scope="col">Template</th>
          <th scope="col">Status</th>
          <th scope="col">Sent</th>
        </tr>
      </thead>
      <tbody>
        {messages.map((message) => (
          <tr>
            <td>
              <Time iso={message.createdAt} />
            </td>
            <th scope="row" class="wrap">
              <a href={messagePath(message.id)}>{message.subject}</a>
            </th>
            <td class="wrap">{message.to}</td>
            <td>
              <code>{message.template}</code>
            </td>
            <td>
              <Badge value={message.status} />
              {message.provider && <span class="muted"> via {message.provider}</span>}
            </td>
            <td>
              <Time iso={message.sentAt} />
            </td>
          </tr>
        ))}
      </tbody>
    </table>
  );
}

/**
 * One message. The HTML part is shown as its source, escaped like every string of the console, and never
 * rendered: mail is written by templates fed user data, and this page runs with an administrator's session.
 */
function MessageView({ message }: { message: MessageDetail }) {
  const headers = Object.entries(message.headers);
  return (
    <>
      <p class="lead wrap">{message.subject}</p>
      <Facts
        items={[
          ["To", message.to],
          ["User", message.userId ? <a href={`/admin/users?q=${encodeURIComponent(message.to)}`}>{message.userId}</a> : null],
          ["Template", <code>{message.template}</code>],
          ["Category", message.category],
          ["Status", <Badge value={message.status} />],
          ["Provider", message.provider],
          ["Provider message id", message.providerMessageId],
          ["Attempts", String(message.attempts)],
          ["Last error", message.lastError],
          ["Queued", <Time iso={message.createdAt} />],
          ["Sent", <Time iso={message.sentAt} />],
          ["Message id", <code>{message.id}</code>],
        ]}
      />
      <h2>Headers</h2>
      {headers.length === 0 ? (
        <Empty text="No extra headers." />
      ) : (
        <table class="headers">
          <caption class="visually-hidden">Extra headers sent with the message</caption>
          <tbody>
            {headers.map(([name, value]) => (
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
      )}
      <h2>Text part</h2>
      {message.text === null ? (
        <Empty text="No text part (or wiped after sending: it carried a secret link)." />
      ) : (
        <pre class="mail" tabindex={0}>
          {message.text}
        </pre>
      )}
      <h2>HTML part (source, not rendered)</h2>
      {message.html === null ? (
        <Empty text="No HTML part (or wiped after sending: it carried a secret link)." />
      ) : (
        <details>
          <summary>Show the HTML source</summary>
          <pre class="mail" tabindex={0}>
            {message.html}
          </pre>
        </details>
      )}
    </>
  );
}

/** Every message the platform queued (the local mailbox when no provider is configured), read as text. */
export const mailboxPage = new Hono<ConsoleEnv>()
  .get("/mailbox", async (c) => {
    const query = readQuery(c, FILTERS);
    const result = await loadFiltered(c.var.api.get<ApiPage<Message>>("/v1/admin/mailbox", { ...query, limit: 50 }));
    return c.html(
      <Page title="Mailbox" section="mailbox" admin={c.var.auth?.user.name} csrfToken={c.var.csrfToken} flash={takeFlash(c)}>
        <Filters action="/admin/mailbox">
          <Input name="to" label="To (exact address)" type="email" value={query.to} />
          <Select name="status" label="Status" options={EMAIL_STATUSES} value={query.status} />
          <Select name="template" label="Template" options={EMAIL_TEMPLATE_NAMES} value={query.template} />
        </Filters>
        {result.ok ? (
          <>
            <MessageRows messages={result.value.data} />
            <Pager path="/admin/mailbox" query={query} nextCursor={result.value.nextCursor} />
          </>
        ) : (
          <FilterProblem problem={result.problem} />
        )}
      </Page>,
    );
  })
  .get("/mailbox/:id", async (c) => {
    const message = await c.var.api.get<MessageDetail>(`/v1/admin/mailbox/${encodeURIComponent(c.req.param("id"))}`);
    return c.html(
      <Page title="Message" section="mailbox" admin={c.var.auth?.user.name} csrfToken={c.var.csrfToken} flash={takeFlash(c)}>
        <p>
          <a href="/admin/mailbox">Mailbox</a>
        </p>
        <MessageView message={message} />
      </Page>,
    );
  });

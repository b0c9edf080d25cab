import { desc, eq } from "drizzle-orm";
import { Hono, type Context } from "hono";
import { html } from "hono/html";
import { emailMessages } from "../db/schema";
import type { AppEnv } from "../env";
import { iso } from "../lib/clock";
import { ApiError } from "../lib/errors";
import { EMAIL_PAGE_CSP, emailPage } from "../lib/email/pages";
import { fileResponse, operationsOf } from "../openapi/describe";

const describe = operationsOf("Development");

const LISTED_MESSAGES = 100;

/** Only where nobody else's mail can be in it: a development or test run. Elsewhere the page does not exist. */
function developmentOnly(c: Context<AppEnv>) {
  if (c.var.config.environment !== "development" && c.var.config.environment !== "test") throw ApiError.notFound("page");
  c.header("Content-Security-Policy", EMAIL_PAGE_CSP);
  c.header("Cache-Control", "no-store");
}

/**
 * The local mailbox as a page (/dev/mailbox): every message the platform queued, newest first, and
 * each one rendered, so someone who registers on a fresh checkout sees their verification mail at once.
 * Mail bodies are framed with `sandbox` (no script, no same-origin).
 */
export const devMailboxRoutes = new Hono<AppEnv>()
  .get(
    "/",
    describe({
      summary: "The local mailbox as a page (development and test only)",
      description: "Every message queued on this machine, newest first. Answers 404 in staging and production.",
      responses: { 200: fileResponse("An HTML page", "text/html") },
      errors: ["not_found"],
    }),
    async (c) => {
      developmentOnly(c);
      const rows = await c.var.db
        .select({
          id: emailMessages.id,
          to: emailMessages.toAddress,
          subject: emailMessages.subject,
          template: emailMessages.template,
          status: emailMessages.status,
          createdAt: emailMessages.createdAt,
        })
        .from(emailMessages)
        .orderBy(desc(emailMessages.id))
        .limit(LISTED_MESSAGES);
      return c.html(
        emailPage(
          "Mailbox",
          html`<h1>Local mailbox</h1>
          <p class="muted">Mail Proctor queued on this machine, newest first (${rows.length}${rows.length === LISTED_MESSAGES ? "+" : ""}).</p>
          <table>
            <tr><th>When</th><th>To</th><th>Subject</th><th>Template</th><th>Status</th></tr>
            ${rows.map(
              (row) =>
                html`<tr>
                  <td>${iso(row.createdAt)}</td>
                  <td>${row.to}</td>
                  <td><a href="/dev/mailbox/${row.id}">${row.subject}</a></td>
                  <td>${row.template}</td>
                  <td>${row.status}</td>
                </tr>`,
            )}
          </table>`,
        ),
      );
    },
  )
  .get(
    "/:id",
    describe({
      summary: "One message of the local mailbox as a page (development and test only)",
      description: "Headers, the HTML body in a sandboxed frame, and the text body. Answers 404 in staging and production.",
      responses: { 200: fileResponse("An HTML page", "text/html") },
      errors: ["not_found"],
    }),
    async (c) => {
      developmentOnly(c);
      const row = await c.var.db
        .select()
        .from(emailMessages)
        .where(eq(emailMessages.id, c.req.param("id")))
        .get();
      if (!row) throw ApiError.notFound("message");
      return c.html(
        emailPage(
          row.subject,
          html`<p><a href="/dev/mailbox">← Mailbox</a></p>
          <h1>${row.subject}</h1>
          <table>
            <tr><th>To</th><td>${row.toAddress}</td></tr>
            <tr><th>Template</th><td>${row.template}</td></tr>
            <tr><th>Status</th><td>${row.status}</td></tr>
            <tr><th>Queued</th><td>${iso(row.createdAt)}</td></tr>
            ${Object.entries(row.headers).map(([name, value]) => html`<tr><th>${name}</th><td>${value}</td></tr>`)}
          </table>
          <h2>HTML</h2>
          ${row.html === null ? html`<p class="muted">Not kept: it carried a secret link and the provider accepted it.</p>` : html`<iframe sandbox title="HTML body" srcdoc="${row.html}"></iframe>`}
          <h2>Text</h2>
          <pre>${row.text ?? ""}</pre>`,
        ),
      );
    },
  );

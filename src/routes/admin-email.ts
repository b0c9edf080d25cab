import { and, asc, desc, eq, gt, lt, type SQL } from "drizzle-orm";
import { Hono } from "hono";
import { z } from "zod";
import { emailMessages, emailSuppressions } from "../db/schema";
import type { AppEnv } from "../env";
import { auditInsert } from "../lib/audit/writer";
import { clock } from "../lib/clock";
import { EMAIL_PAGE_CSP } from "../lib/email/pages";
import { presentEmailMessage, presentEmailMessageDetail, presentSuppression } from "../lib/email/present";
import { EMAIL_TEMPLATE_NAMES, EMAIL_TEMPLATES, isEmailTemplateName, renderEmail } from "../lib/email/templates";
import { ApiError } from "../lib/errors";
import { mailboxQuery, suppressionBody, suppressionQuery } from "../lib/validation/email";
import { decodeCursor, idCursor, toPage } from "../lib/validation/pagination";
import { validate } from "../lib/validation/validate";
import { authOf, requireRole, requireScope } from "../middleware/auth";
import { rateLimit } from "../middleware/rate-limit";
import { negotiatedResponse, operationsOf } from "../openapi/describe";
import {
  emailMessageDetailSchema,
  emailMessageSchema,
  emailSuppressionSchema,
  emailTemplateSchema,
  renderedEmailSchema,
} from "../openapi/schemas/email";
import { page } from "../openapi/schemas/primitives";

const describe = operationsOf("Admin: email");
const adminOnly = [rateLimit({ policy: "api" }), requireRole("admin")] as const;

/** Every message the platform queued, whichever way it went: with no provider configured, this is the local mailbox. */
export const adminMailboxRoutes = new Hono<AppEnv>()
  .use("*", ...adminOnly)
  .get(
    "/",
    describe({
      summary: "List sent and queued mail (the local mailbox)",
      responses: { 200: ["A page of messages, newest first", page(emailMessageSchema)] },
    }),
    requireScope("admin:read"),
    validate("query", mailboxQuery),
    async (c) => {
      const query = c.req.valid("query");
      const filters: (SQL | undefined)[] = [
        query.to ? eq(emailMessages.toAddress, query.to) : undefined,
        query.status ? eq(emailMessages.status, query.status) : undefined,
        query.template ? eq(emailMessages.template, query.template) : undefined,
        query.cursor ? lt(emailMessages.id, decodeCursor(query.cursor, idCursor).id) : undefined,
      ];
      const rows = await c.var.db
        .select()
        .from(emailMessages)
        .where(and(...filters))
        .orderBy(desc(emailMessages.id))
        .limit(query.limit + 1);
      return c.json(toPage(rows, query.limit, (row) => ({ id: row.id }), presentEmailMessage));
    },
  )
  .get(
    "/:id",
    describe({
      summary: "Read one message with its headers and bodies",
      responses: { 200: ["The message", emailMessageDetailSchema] },
      errors: ["not_found"],
    }),
    requireScope("admin:read"),
    async (c) => {
      const row = await c.var.db
        .select()
        .from(emailMessages)
        .where(eq(emailMessages.id, c.req.param("id")))
        .get();
      if (!row) throw ApiError.notFound("message");
      c.header("Cache-Control", "no-store");
      return c.json(presentEmailMessageDetail(row));
    },
  );

const suppressionCursor = z.object({ email: z.string().max(320) });
/** The path's address, already percent-decoded by the router (decoding it again would misread a literal `%`). */
const suppressionParam = z.object({ email: z.email().max(320) });

/** Addresses no mail goes to. Bounces and complaints add themselves; admins add and lift them by hand. */
export const adminSuppressionRoutes = new Hono<AppEnv>()
  .use("*", ...adminOnly)
  .get(
    "/",
    describe({
      summary: "List suppressed addresses",
      responses: { 200: ["A page of suppressions, by address", page(emailSuppressionSchema)] },
    }),
    requireScope("admin:read"),
    validate("query", suppressionQuery),
    async (c) => {
      const query = c.req.valid("query");
      const after = query.cursor ? decodeCursor(query.cursor, suppressionCursor).email : null;
      const rows = await c.var.db
        .select()
        .from(emailSuppressions)
        .where(after === null ? undefined : gt(emailSuppressions.email, after))
        .orderBy(asc(emailSuppressions.email))
        .limit(query.limit + 1);
      return c.json(toPage(rows, query.limit, (row) => ({ email: row.email }), presentSuppression));
    },
  )
  .post(
    "/",
    describe({ summary: "Suppress an address", responses: { 201: ["Suppressed", emailSuppressionSchema] }, errors: ["conflict"] }),
    requireScope("admin:write"),
    validate("json", suppressionBody),
    async (c) => {
      const { email, detail } = c.req.valid("json");
      const db = c.var.db;
      const row = {
        email,
        reason: "manual" as const,
        detail: detail ?? null,
        messageId: null,
        createdBy: authOf(c).userId,
        createdAt: clock.now(),
      };
      const [inserted] = await db.batch([
        db.insert(emailSuppressions).values(row).onConflictDoNothing().returning(),
        auditInsert(c, { action: "email.suppression_added", target: { type: "email", id: email }, metadata: { detail: row.detail } }),
      ]);
      if (inserted.length === 0) throw new ApiError("conflict", "This address is already suppressed.");
      return c.json(presentSuppression(row), 201);
    },
  )
  .delete(
    "/:email",
    describe({
      summary: "Lift a suppression",
      description: "Mail to the address is sent again; a hard-bouncing address will be suppressed again by its next bounce.",
      responses: { 204: "Lifted" },
      errors: ["not_found"],
    }),
    requireScope("admin:write"),
    validate("param", suppressionParam),
    async (c) => {
      const email = c.req.valid("param").email.toLowerCase();
      const db = c.var.db;
      const existing = await db.select().from(emailSuppressions).where(eq(emailSuppressions.email, email)).get();
      if (!existing) throw ApiError.notFound("suppression");
      await db.batch([
        db.delete(emailSuppressions).where(eq(emailSuppressions.email, email)),
        auditInsert(c, { action: "email.suppression_removed", target: { type: "email", id: email }, before: presentSuppression(existing) }),
      ]);
      return c.body(null, 204);
    },
  );

const previewQuery = z.object({ format: z.enum(["json", "html", "text"]).default("json") });

/** The templates, and each rendered with its sample data: what a recipient would see. */
export const adminEmailTemplateRoutes = new Hono<AppEnv>()
  .use("*", ...adminOnly)
  .get(
    "/",
    describe({ summary: "List email templates", responses: { 200: ["Every template", z.object({ data: z.array(emailTemplateSchema) })] } }),
    requireScope("admin:read"),
    (c) =>
      c.json({
        data: EMAIL_TEMPLATE_NAMES.map((name) => {
          const template = EMAIL_TEMPLATES[name];
          return { name, description: template.description, category: template.category, preference: template.preference };
        }),
      }),
  )
  .get(
    "/:name/preview",
    describe({
      summary: "Render a template with sample data",
      description: "`format=html` answers the HTML body itself (sandboxed: no script runs), `text` the plain-text body.",
      responses: { 200: negotiatedResponse("The rendered message", renderedEmailSchema, ["text/html", "text/plain"]) },
      errors: ["not_found"],
    }),
    requireScope("admin:read"),
    validate("query", previewQuery),
    async (c) => {
      const name = c.req.param("name");
      if (!isEmailTemplateName(name)) throw ApiError.notFound("template");
      const config = c.var.config;
      const sample = EMAIL_TEMPLATES[name].sample as Record<string, unknown>;
      const unsubscribeUrl = EMAIL_TEMPLATES[name].preference ? `${config.email.apiUrl}/v1/email/unsubscribe?token=preview` : undefined;
      const rendered = await renderEmail(name, sample, { appName: "Proctor", appUrl: config.email.appUrl, unsubscribeUrl });
      const { format } = c.req.valid("query");
      if (format === "html") {
        c.header("Content-Security-Policy", `${EMAIL_PAGE_CSP}; sandbox`);
        return c.html(rendered.html);
      }
      if (format === "text") return c.text(rendered.text);
      return c.json({ name, ...rendered, data: sample });
    },
  );

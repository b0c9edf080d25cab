import { eq, sql } from "drizzle-orm";
import type { Config } from "../../config";
import type { Database } from "../../db";
import { inList } from "../../db/in-list";
import { emailMessages, jobs, type EmailMessage, type EmailTokenPurpose } from "../../db/schema";
import type { Env } from "../../env";
import { clock } from "../clock";
import { guardedInsert } from "../guarded-insert";
import { newId } from "../ids";
import { enqueueStatements } from "../queue";
import { emailLinks } from "./links";
import { preferencesOf } from "./preferences";
import { EMAIL_TEMPLATES, renderEmail, type EmailTemplateName } from "./templates";
import { issueEmailToken } from "./tokens";
import { unsubscribeToken } from "./unsubscribe";

export interface EmailRequest {
  template: EmailTemplateName;
  to: string;
  /** The recipient's account: needed for notifications (preferences, unsubscribe). */
  userId: string | null;
  /** The template's data; checked against its schema here. */
  data: unknown;
  /** One message per cause (`<event id>:<template>`): a trigger that runs twice queues one message. */
  dedupeKey?: string;
}

/**
 * Renders the message into its row. A notification gets its one-click unsubscribe link (RFC 8058), in
 * the footer and as List-Unsubscribe / List-Unsubscribe-Post headers.
 */
export async function emailMessageRow(config: Config, request: EmailRequest, now = clock.now()): Promise<EmailMessage> {
  const template = EMAIL_TEMPLATES[request.template];
  const unsubscribeUrl =
    template.preference && request.userId
      ? emailLinks(config).unsubscribe(await unsubscribeToken(config.email.linkSecret, request.userId, template.preference))
      : undefined;
  const rendered = await renderEmail(request.template, request.data, { appName: "Proctor", appUrl: config.email.appUrl, unsubscribeUrl });
  return {
    id: newId("email", now),
    template: request.template,
    category: template.category,
    toAddress: request.to.toLowerCase(),
    userId: request.userId,
    subject: rendered.subject,
    html: rendered.html,
    text: rendered.text,
    headers: unsubscribeUrl ? { "List-Unsubscribe": `<${unsubscribeUrl}>`, "List-Unsubscribe-Post": "List-Unsubscribe=One-Click" } : {},
    status: "queued",
    provider: null,
    providerMessageId: null,
    attempts: 0,
    lastError: null,
    dedupeKey: request.dedupeKey ?? null,
    createdAt: now,
    updatedAt: now,
    sentAt: null,
  };
}

/** The message's INSERT: skipped when a message with its dedupe key exists. */
export const insertMessageStatement = (db: Database, row: EmailMessage) =>
  db.insert(emailMessages).values(row).onConflictDoNothing({ target: emailMessages.dedupeKey });

/** True once any of these messages is in the table: the guard of the job that sends them. */
export const messagesLanded = (messageIds: string[]) =>
  sql`exists (select 1 from ${emailMessages} where ${inList(emailMessages.id, messageIds)})`;

export interface PreparedEmail {
  message: EmailMessage;
  statements: [ReturnType<typeof insertMessageStatement>, ReturnType<typeof guardedInsert>];
  /** After the batch: sends the job's message (false when a duplicate was skipped). */
  send(env: Env): Promise<boolean>;
}

/** The message row and its `email.send` job, for the caller's batch (the job lands only with the message). */
export async function prepareEmail(db: Database, config: Config, request: EmailRequest, now = clock.now()): Promise<PreparedEmail> {
  const message = await emailMessageRow(config, request, now);
  const job = enqueueStatements(db, "email.send", { messageId: message.id }, { idempotencyKey: `email:${message.id}`, maxAttempts: 8 });
  return {
    message,
    statements: [insertMessageStatement(db, message), guardedInsert(db, jobs, job.job, messagesLanded([message.id]))],
    send: (env) => job.send(env),
  };
}

/**
 * For jobs and subscribers: queues one message now. Null when nothing was queued: a notification the
 * user turned off, or a message its cause already queued.
 */
export async function queueEmail(env: Env, db: Database, config: Config, request: EmailRequest): Promise<EmailMessage | null> {
  const preference = EMAIL_TEMPLATES[request.template].preference;
  if (preference && request.userId && !(await preferencesOf(db, request.userId))[preference]) return null;
  if (request.dedupeKey && (await alreadyQueued(db, request.dedupeKey))) return null;
  const prepared = await prepareEmail(db, config, request);
  const [inserted] = await db.batch(prepared.statements);
  if (inserted.meta.changes === 0) return null; // a twin with the same dedupe key landed meanwhile
  await prepared.send(env);
  return prepared.message;
}

/** A message whose cause already queued it (the trigger ran before). */
async function alreadyQueued(db: Database, dedupeKey: string): Promise<boolean> {
  return (await db.select({ id: emailMessages.id }).from(emailMessages).where(eq(emailMessages.dedupeKey, dedupeKey)).get()) !== undefined;
}

export interface TokenEmailRequest extends Omit<EmailRequest, "data" | "userId"> {
  userId: string;
  purpose: EmailTokenPurpose;
  /** The template's data around the freshly issued token. */
  data: (token: string) => unknown;
}

/** A mail that carries a single-use token: the token's statements and the message's, for one batch. */
export async function prepareTokenEmail(db: Database, config: Config, request: TokenEmailRequest, now = clock.now()) {
  const issued = await issueEmailToken(db, { userId: request.userId, purpose: request.purpose, email: request.to }, now);
  const prepared = await prepareEmail(db, config, { ...request, data: request.data(issued.token) }, now);
  return { token: issued.row, statements: [...issued.statements, ...prepared.statements] as const, send: prepared.send };
}

/**
 * For jobs and subscribers: issues the token and queues its mail, once per dedupe key (a re-run must
 * not withdraw the mailed token for one nobody receives).
 */
export async function queueTokenEmail(env: Env, db: Database, config: Config, request: TokenEmailRequest): Promise<boolean> {
  if (request.dedupeKey && (await alreadyQueued(db, request.dedupeKey))) return false;
  const prepared = await prepareTokenEmail(db, config, request);
  await db.batch(prepared.statements);
  await prepared.send(env);
  return true;
}

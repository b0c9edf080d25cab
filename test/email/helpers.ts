import { env } from "cloudflare:workers";
import { asc, eq } from "drizzle-orm";
import { createDb } from "../../src/db";
import { emailMessages, type EmailMessage } from "../../src/db/schema";
import type { Env } from "../../src/env";
import type { CapturedRequest } from "../global/capture-server";
import { clientIp } from "../helpers/auth";
import { testApp } from "../helpers/test-app";
import { capturingEnv, deliver, type SentMessage } from "../jobs/helpers";

export const db = createDb(env.DB);

export interface EmailBindings {
  env: Env;
  sent: SentMessage[];
  /** Where Resend is (the local receiver), when the bindings have a provider. */
  resendUrl: string | null;
}

/** The real bindings with queue sends captured; no provider key, so mail goes to the local mailbox. */
export function mailboxBindings(settings: Record<string, string> = {}): EmailBindings {
  const captured = capturingEnv();
  return { env: { ...captured.env, ...settings } as Env, sent: captured.sent, resendUrl: null };
}

/** As above, with Resend at a fresh path of the local receiver; `behaviour` picks its answers (e.g. `status-times/429/1`). */
export function resendBindings(behaviour = "", settings: Record<string, string> = {}): EmailBindings {
  const resendUrl = `${env.CAPTURE_URL}/resend/${crypto.randomUUID()}${behaviour ? `/${behaviour}` : ""}`;
  const captured = capturingEnv();
  return {
    env: { ...captured.env, RESEND_API_KEY: "re_test_0123456789", RESEND_BASE_URL: resendUrl, ...settings } as Env,
    sent: captured.sent,
    resendUrl,
  };
}

/** Requests the local receiver got under this Resend base URL, oldest first. */
export async function resendReceived(resendUrl: string): Promise<CapturedRequest[]> {
  const prefix = new URL(resendUrl).pathname;
  const res = await fetch(`${env.CAPTURE_URL}/__captured?prefix=${encodeURIComponent(prefix)}`);
  return (await res.json()) as CapturedRequest[];
}

/** Delivers every captured job message (of any queue named) to the real consumer, once, and forgets them. */
export async function runCapturedJobs(bindings: EmailBindings, queue = "emails"): Promise<number> {
  const binding = `QUEUE_${queue.toUpperCase()}`;
  const due = bindings.sent.filter((message) => message.binding === binding);
  bindings.sent.splice(0, bindings.sent.length, ...bindings.sent.filter((message) => message.binding !== binding));
  if (due.length > 0)
    await deliver(
      queue,
      due.map((message) => ({ body: message.body })),
      bindings.env,
    );
  return due.length;
}

/** Runs email jobs until none is left (a job may queue another: a weekly-summary page queues its batch). */
export async function drainEmailJobs(bindings: EmailBindings): Promise<void> {
  for (let round = 0; round < 10; round++) if ((await runCapturedJobs(bindings)) === 0) return;
}

export async function messagesTo(address: string): Promise<EmailMessage[]> {
  return db.select().from(emailMessages).where(eq(emailMessages.toAddress, address.toLowerCase())).orderBy(asc(emailMessages.id));
}

export async function messageRow(id: string): Promise<EmailMessage> {
  return (await db.select().from(emailMessages).where(eq(emailMessages.id, id)).get())!;
}

/** The single-use token in a mail's text. */
export function tokenIn(message: Pick<EmailMessage, "text">): string {
  const token = /et_[A-Za-z0-9_-]{43}/.exec(message.text ?? "")?.[0];
  if (!token) throw new Error(`no token in: ${message.text}`);
  return token;
}

/**
 * The real app over the given bindings (waits for its waitUntil work). Each request comes from a
 * client address of its own unless it names one, so per-IP limits count only what a test means them to.
 */
export function requestWith(bindings: EmailBindings) {
  const app = testApp();
  return (path: string, init: RequestInit = {}) => {
    const headers = new Headers(init.headers);
    if (!headers.has("CF-Connecting-IP")) headers.set("CF-Connecting-IP", clientIp()["CF-Connecting-IP"]);
    return app.request(path, { ...init, headers }, bindings.env);
  };
}

export function jsonInit(method: string, body: unknown, headers: Record<string, string> = {}): RequestInit {
  return { method, headers: { "Content-Type": "application/json", ...headers }, body: JSON.stringify(body) };
}

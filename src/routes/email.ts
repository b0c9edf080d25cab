import { Hono, type Context } from "hono";
import { html } from "hono/html";
import { z } from "zod";
import type { AppEnv } from "../env";
import { auditInsert } from "../lib/audit/writer";
import { EMAIL_PAGE_CSP, emailPage } from "../lib/email/pages";
import { preferencesOf, setPreferencesStatement } from "../lib/email/preferences";
import { applyProviderEvent, verifyProviderSignature } from "../lib/email/provider-events";
import { readUnsubscribeToken } from "../lib/email/unsubscribe";
import { ApiError } from "../lib/errors";
import { unsubscribeQuery } from "../lib/validation/email";
import { validate } from "../lib/validation/validate";
import { rateLimit } from "../middleware/rate-limit";
import { fileResponse, operationsOf } from "../openapi/describe";

const describe = operationsOf("Email");

/** What each kind of mail is called on the unsubscribe page. */
const KIND_NAMES = {
  resultReady: "test result emails",
  subjectiveGraded: "grading notices",
  weeklySummary: "the weekly study summary",
} as const;

const invalidLink = () => new ApiError("invalid_token", "This unsubscribe link is not valid.");

async function unsubscribeTarget(c: Context<AppEnv>, token: string) {
  const target = await readUnsubscribeToken(c.var.config.email.linkSecret, token);
  if (!target) throw invalidLink();
  return target;
}

function htmlPage(c: Context<AppEnv>, title: string, body: ReturnType<typeof html>) {
  c.header("Content-Security-Policy", EMAIL_PAGE_CSP);
  c.header("Cache-Control", "no-store");
  return c.html(emailPage(title, body));
}

/** Mounted at /v1/email: what mail recipients and the mail provider call, without signing in. */
export const emailRoutes = new Hono<AppEnv>()
  .use("*", rateLimit({ policy: "api" }))
  .post(
    "/events",
    describe({
      summary: "Receive Resend's delivery events (bounces, complaints, deliveries)",
      description:
        "Signed in the Standard Webhooks format with RESEND_WEBHOOK_SECRET; messages older than 5 minutes and replays of an id already handled change nothing. Hard bounces and complaints suppress the address.",
      responses: { 200: ["Handled", z.object({ outcome: z.enum(["applied", "duplicate", "ignored"]) })] },
      errors: ["unauthenticated", "bad_request"],
    }),
    async (c) => {
      const secret = c.var.config.email.webhookSecret;
      if (!secret) throw new ApiError("unauthenticated", "Email events are not accepted: RESEND_WEBHOOK_SECRET is not set.");
      const body = await c.req.text();
      const verdict = await verifyProviderSignature(secret, c.req.raw.headers, body);
      if (!verdict.ok) {
        c.var.logger.warn("email event refused", { reason: verdict.reason });
        throw new ApiError("unauthenticated", `The signature does not verify: ${verdict.reason}.`);
      }
      let payload: unknown;
      try {
        payload = JSON.parse(body);
      } catch {
        throw new ApiError("bad_request", "The body is not JSON.");
      }
      const outcome = await applyProviderEvent(c.var.db, verdict.id, payload);
      if (typeof outcome === "object") throw new ApiError("bad_request", `Not a provider event: ${outcome.invalid}`);
      return c.json({ outcome });
    },
  )
  .get(
    "/unsubscribe",
    describe({
      summary: "The unsubscribe page a mail's link opens",
      description:
        "Shows what the link turns off, with a button that posts to the same URL; a GET changes nothing (link scanners follow GETs).",
      responses: { 200: fileResponse("An HTML page", "text/html") },
      errors: ["invalid_token"],
    }),
    validate("query", unsubscribeQuery),
    async (c) => {
      const { token } = c.req.valid("query");
      const { kind } = await unsubscribeTarget(c, token);
      return htmlPage(
        c,
        "Unsubscribe",
        html`<div class="card">
          <h1>Unsubscribe</h1>
          <p>Stop receiving ${KIND_NAMES[kind]} from Proctor?</p>
          <form method="post" action="?token=${token}">
            <input type="hidden" name="List-Unsubscribe" value="One-Click" />
            <button type="submit">Unsubscribe</button>
          </form>
          <p class="muted">Account and security mail is always sent. You can change this later in your notification settings.</p>
        </div>`,
      );
    },
  )
  .post(
    "/unsubscribe",
    describe({
      summary: "One-click unsubscribe (RFC 8058)",
      description: "What mail clients post for `List-Unsubscribe-Post: List-Unsubscribe=One-Click`; works without signing in.",
      responses: { 200: fileResponse("Unsubscribed: an HTML page", "text/html") },
      errors: ["invalid_token"],
    }),
    validate("query", unsubscribeQuery),
    async (c) => {
      const { userId, kind } = await unsubscribeTarget(c, c.req.valid("query").token);
      const db = c.var.db;
      const current = await preferencesOf(db, userId).catch(() => null);
      if (!current) throw invalidLink();
      if (current[kind]) {
        try {
          await db.batch([
            setPreferencesStatement(db, userId, current, { [kind]: false }),
            auditInsert(c, { action: "email.unsubscribed", actorId: userId, target: { type: "user", id: userId }, metadata: { kind } }),
          ]);
        } catch {
          throw invalidLink(); // the account is gone (foreign key)
        }
      }
      return htmlPage(
        c,
        "Unsubscribed",
        html`<div class="card">
          <h1>You are unsubscribed</h1>
          <p>You will no longer receive ${KIND_NAMES[kind]}.</p>
        </div>`,
      );
    },
  );

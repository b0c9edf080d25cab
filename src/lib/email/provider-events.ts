import { and, eq, inArray, sql } from "drizzle-orm";
import { z } from "zod";
import type { Database } from "../../db";
import { emailMessages, emailProviderEvents, emailSuppressions, type EmailStatus } from "../../db/schema";
import { timingSafeEqual } from "../auth/tokens";
import { clock } from "../clock";
import { guardedInsert } from "../guarded-insert";
import { signWebhook } from "../webhooks/secrets";

/** Signed messages older or newer than this are refused: a captured one cannot be replayed later. */
const SIGNATURE_TOLERANCE_SECONDS = 5 * 60;

export type SignatureVerdict = { ok: true; id: string } | { ok: false; reason: string };

/**
 * Standard Webhooks verification (Resend signs through Svix, which names the headers `svix-*`; the
 * standard names them `webhook-*`; both are read): HMAC-SHA256 of `{id}.{timestamp}.{body}`, any of
 * the space-separated `v1,` signatures may match, and the timestamp must be recent.
 */
export async function verifyProviderSignature(
  secret: string,
  headers: Headers,
  body: string,
  now = clock.now(),
): Promise<SignatureVerdict> {
  const header = (name: string) => headers.get(`webhook-${name}`) ?? headers.get(`svix-${name}`);
  const id = header("id");
  const timestamp = header("timestamp");
  const signatures = header("signature");
  if (!id || !timestamp || !signatures) return { ok: false, reason: "missing signature headers" };
  if (id.length > 200 || !/^\d{1,12}$/.test(timestamp)) return { ok: false, reason: "malformed signature headers" };
  if (Math.abs(now / 1000 - Number(timestamp)) > SIGNATURE_TOLERANCE_SECONDS)
    return { ok: false, reason: "timestamp outside the tolerance" };
  const expected = await signWebhook(secret, id, Number(timestamp), body);
  const matches = signatures.split(" ").some((candidate) => timingSafeEqual(candidate, expected));
  return matches ? { ok: true, id } : { ok: false, reason: "no signature matches" };
}

/** The part of Resend's event payload this handler reads; anything else in it is ignored. */
const providerEvent = z.object({
  type: z.string().max(100),
  data: z
    .object({
      email_id: z.string().max(200).optional(),
      to: z.union([z.array(z.string().max(320)).max(50), z.string().max(320)]).optional(),
      bounce: z
        .object({ type: z.string().max(100).optional(), subType: z.string().max(100).optional(), message: z.string().max(1000).optional() })
        .optional(),
    })
    .default({}),
});

export type ProviderEventOutcome = "applied" | "duplicate" | "ignored";

/** The statuses each event may move a message out of (a late "delivered" never hides a bounce). */
const TRANSITIONS: Record<string, { to: EmailStatus; from: EmailStatus[] }> = {
  "email.delivered": { to: "delivered", from: ["sent"] },
  "email.bounced": { to: "bounced", from: ["sent", "delivered"] },
  "email.complained": { to: "complained", from: ["sent", "delivered"] },
};

/** A bounce Resend reports as permanent (or without a type) is hard: the address is suppressed. Transient ones are not. */
const isHardBounce = (bounce: { type?: string } | undefined) => !bounce?.type || /permanent|hard/i.test(bounce.type);

/**
 * Applies one verified provider event once: the id is recorded in the same batch as its effects, so a
 * replay (the same id again) changes nothing. Hard bounces and complaints put the recipients on the
 * suppression list.
 */
export async function applyProviderEvent(db: Database, eventId: string, raw: unknown): Promise<ProviderEventOutcome | { invalid: string }> {
  const parsed = providerEvent.safeParse(raw);
  if (!parsed.success) return { invalid: parsed.error.issues[0]?.message ?? "not a provider event" };
  const { type, data } = parsed.data;
  const now = clock.now();
  const record = db
    .insert(emailProviderEvents)
    .values({ id: eventId, type, receivedAt: now })
    .onConflictDoNothing()
    .returning({ id: emailProviderEvents.id });

  const transition = TRANSITIONS[type];
  const soft = type === "email.bounced" && !isHardBounce(data.bounce);
  if (!transition || !data.email_id || soft) {
    const [recorded] = await record;
    return recorded ? "ignored" : "duplicate";
  }
  const message = await db.select().from(emailMessages).where(eq(emailMessages.providerMessageId, data.email_id)).get();
  const recipients = [
    ...new Set([...(Array.isArray(data.to) ? data.to : data.to ? [data.to] : []), ...(message ? [message.toAddress] : [])]),
  ].map((address) => address.trim().toLowerCase());
  const detail =
    type === "email.bounced"
      ? [data.bounce?.type, data.bounce?.subType, data.bounce?.message].filter(Boolean).join(": ").slice(0, 500)
      : null;
  // The effects run only if this batch recorded the id: a replay racing the original changes nothing.
  const recordedNow = sql`exists (select 1 from ${emailProviderEvents} where ${emailProviderEvents.id} = ${eventId} and ${emailProviderEvents.receivedAt} = ${now})`;
  const [recorded] = await db.batch([
    record,
    db
      .update(emailMessages)
      .set({ status: transition.to, updatedAt: now, ...(detail ? { lastError: detail } : {}) })
      .where(and(eq(emailMessages.providerMessageId, data.email_id), inArray(emailMessages.status, transition.from), recordedNow)),
    ...(transition.to === "delivered"
      ? []
      : recipients.map((email) =>
          guardedInsert(
            db,
            emailSuppressions,
            {
              email,
              reason: transition.to === "bounced" ? "hard_bounce" : "complaint",
              detail,
              messageId: message?.id ?? null,
              createdBy: null,
              createdAt: now,
            },
            recordedNow,
          ).onConflictDoNothing(),
        )),
  ]);
  return recorded.length > 0 ? "applied" : "duplicate";
}

import { and, eq, sql } from "drizzle-orm";
import type { Config } from "../../config";
import type { Database } from "../../db";
import { inList } from "../../db/in-list";
import { emailMessages, emailSuppressions, type EmailMessage } from "../../db/schema";
import { clock } from "../clock";
import { sha256Hex } from "../auth/tokens";
import { sendEmail, sendEmailBatch, type OutgoingEmail, type ResendFailure } from "./resend";
import { EMAIL_TEMPLATES, isEmailTemplateName } from "./templates";

export interface DeliveryOutcome {
  sent: number;
  suppressed: number;
  /** Present when the provider refused or could not be reached; the caller decides whether to retry. */
  failure?: ResendFailure;
  /**
   * A batch Resend refused as a whole (one bad address fails every message of it): these messages,
   * still queued, should each be sent on its own so only the bad one fails.
   */
  sendAlone?: string[];
}

const stillQueued = (ids: string[]) => and(inList(emailMessages.id, ids), eq(emailMessages.status, "queued"));

function outgoing(config: Config, row: EmailMessage): OutgoingEmail {
  return {
    from: config.email.from,
    to: row.toAddress,
    subject: row.subject,
    html: row.html ?? "",
    text: row.text ?? "",
    headers: row.headers,
  };
}

/** A body that carries a secret link is not kept once a provider holds it (the local mailbox keeps it: it is the only copy). */
const keepsBody = (row: EmailMessage) => !(isEmailTemplateName(row.template) && EMAIL_TEMPLATES[row.template].sensitive);

/**
 * Sends the still-queued messages among `messageIds`: suppressed addresses are marked and skipped;
 * without a provider the rest land in the local mailbox; with Resend, one message goes alone and
 * several go in one batch call. The Idempotency-Key is derived from the messages sent, so a retry of
 * the same set cannot send twice. `lastAttempt`: a retryable failure marks the messages failed too.
 */
export async function deliverEmails(db: Database, config: Config, messageIds: string[], lastAttempt: boolean): Promise<DeliveryOutcome> {
  const rows = await db.select().from(emailMessages).where(stillQueued(messageIds));
  if (rows.length === 0) return { sent: 0, suppressed: 0 };
  const now = clock.now();

  const blocked = new Set(
    (
      await db
        .select({ email: emailSuppressions.email })
        .from(emailSuppressions)
        .where(inList(emailSuppressions.email, [...new Set(rows.map((row) => row.toAddress))]))
    ).map((row) => row.email),
  );
  const suppressed = rows.filter((row) => blocked.has(row.toAddress));
  if (suppressed.length > 0) {
    await db
      .update(emailMessages)
      .set({ status: "suppressed", updatedAt: now })
      .where(stillQueued(suppressed.map((row) => row.id)));
  }
  const sending = rows.filter((row) => !blocked.has(row.toAddress));
  if (sending.length === 0) return { sent: 0, suppressed: suppressed.length };
  const ids = sending.map((row) => row.id);

  if (!config.email.resend) {
    await db
      .update(emailMessages)
      .set({ status: "sent", provider: "mailbox", attempts: sql`${emailMessages.attempts} + 1`, sentAt: now, updatedAt: now })
      .where(stillQueued(ids));
    return { sent: sending.length, suppressed: suppressed.length };
  }

  const result =
    sending.length === 1
      ? await sendEmail(config.email.resend, outgoing(config, sending[0]!), sending[0]!.id)
      : await sendEmailBatch(
          config.email.resend,
          sending.map((row) => outgoing(config, row)),
          `batch-${(await sha256Hex(ids.join(","))).slice(0, 40)}`,
        );
  const done = clock.now();
  if (!result.ok) {
    if (!result.retryable && sending.length > 1) {
      await db
        .update(emailMessages)
        .set({ lastError: `${result.error} (in a batch; sent alone next)`, updatedAt: done })
        .where(stillQueued(ids));
      return { sent: 0, suppressed: suppressed.length, sendAlone: ids };
    }
    const failed = !result.retryable || lastAttempt;
    await db
      .update(emailMessages)
      .set({
        attempts: sql`${emailMessages.attempts} + 1`,
        lastError: result.error,
        updatedAt: done,
        ...(failed ? { status: "failed" } : {}),
      })
      .where(stillQueued(ids));
    return { sent: 0, suppressed: suppressed.length, failure: result };
  }
  const providerIds = Array.isArray(result.value) ? result.value : [result.value];
  const marks = sending.map((row, index) =>
    db
      .update(emailMessages)
      .set({
        status: "sent",
        provider: "resend",
        providerMessageId: providerIds[index] ?? null,
        attempts: sql`${emailMessages.attempts} + 1`,
        lastError: null,
        sentAt: done,
        updatedAt: done,
        ...(keepsBody(row) ? {} : { html: null, text: null }),
      })
      .where(stillQueued([row.id])),
  );
  await db.batch(marks as [(typeof marks)[0], ...typeof marks]);
  return { sent: sending.length, suppressed: suppressed.length };
}

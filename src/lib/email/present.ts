import type { EmailMessage, EmailSuppression } from "../../db/schema";
import { iso, isoOrNull } from "../clock";

/** A message in a listing: who, what and where it stands, without the bodies. */
export function presentEmailMessage(row: EmailMessage) {
  return {
    id: row.id,
    template: row.template,
    category: row.category,
    to: row.toAddress,
    userId: row.userId,
    subject: row.subject,
    status: row.status,
    provider: row.provider,
    providerMessageId: row.providerMessageId,
    attempts: row.attempts,
    lastError: row.lastError,
    createdAt: iso(row.createdAt),
    sentAt: isoOrNull(row.sentAt),
  };
}

/** One message whole: its headers and both bodies (null once wiped: a sent message that carried a secret link). */
export function presentEmailMessageDetail(row: EmailMessage) {
  return { ...presentEmailMessage(row), headers: row.headers, html: row.html, text: row.text };
}

export function presentSuppression(row: EmailSuppression) {
  return {
    email: row.email,
    reason: row.reason,
    detail: row.detail,
    messageId: row.messageId,
    createdBy: row.createdBy,
    createdAt: iso(row.createdAt),
  };
}

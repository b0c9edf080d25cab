import { z } from "zod";
import { EMAIL_PROVIDERS, EMAIL_STATUSES, SUPPRESSION_REASONS } from "../../db/schema";
import { isoDateTime } from "./primitives";

export const emailMessageSchema = z
  .object({
    id: z.string(),
    template: z.string(),
    category: z.enum(["transactional", "notification"]),
    to: z.string(),
    userId: z.string().nullable(),
    subject: z.string(),
    status: z.enum(EMAIL_STATUSES),
    provider: z.enum(EMAIL_PROVIDERS).nullable(),
    providerMessageId: z.string().nullable(),
    attempts: z.number().int(),
    lastError: z.string().nullable(),
    createdAt: isoDateTime,
    sentAt: isoDateTime.nullable(),
  })
  .meta({ id: "EmailMessage" });

export const emailMessageDetailSchema = emailMessageSchema
  .extend({ headers: z.record(z.string(), z.string()), html: z.string().nullable(), text: z.string().nullable() })
  .meta({ id: "EmailMessageDetail" });

export const emailSuppressionSchema = z
  .object({
    email: z.string(),
    reason: z.enum(SUPPRESSION_REASONS),
    detail: z.string().nullable(),
    messageId: z.string().nullable(),
    createdBy: z.string().nullable(),
    createdAt: isoDateTime,
  })
  .meta({ id: "EmailSuppression" });

export const emailTemplateSchema = z
  .object({
    name: z.string(),
    description: z.string(),
    category: z.enum(["transactional", "notification"]),
    preference: z.string().nullable(),
  })
  .meta({ id: "EmailTemplate" });

export const renderedEmailSchema = z
  .object({ name: z.string(), subject: z.string(), html: z.string(), text: z.string(), data: z.record(z.string(), z.unknown()) })
  .meta({ id: "RenderedEmail" });

import type { z } from "zod";
import type { NotificationKind } from "../preferences";

/** A notification is mail the user may turn off, and it carries a one-click unsubscribe link; transactional mail always goes. */
export type EmailCategory = "transactional" | "notification";

export const EMAIL_TEMPLATE_NAMES = [
  "verify_email",
  "welcome",
  "password_reset",
  "password_changed",
  "email_change_confirm",
  "email_change_notice",
  "new_device_sign_in",
  "result_ready",
  "subjective_graded",
  "subscription_receipt",
  "payment_failed",
  "webhook_disabled",
  "weekly_summary",
] as const;
export type EmailTemplateName = (typeof EMAIL_TEMPLATE_NAMES)[number];

/** The switches a user has for notifications: each notification template names the one that turns it off. */

export interface RenderContext {
  appName: string;
  appUrl: string;
  /** The recipient's one-click unsubscribe link: given for notifications, shown in the footer. */
  unsubscribeUrl?: string;
}

export interface RenderedEmail {
  subject: string;
  html: string;
  text: string;
}

export interface EmailTemplate<D> {
  name: EmailTemplateName;
  /** One line, shown in the admin template list. */
  description: string;
  category: EmailCategory;
  /** The body carries a secret link (a token): the stored copy is wiped once the provider accepted it. */
  sensitive: boolean;
  /** For notifications: the preference that turns it off; null for transactional mail. */
  preference: NotificationKind | null;
  data: z.ZodType<D>;
  /** Realistic data, used by the admin preview. */
  sample: D;
  render(data: D, ctx: RenderContext): RenderedEmail | Promise<RenderedEmail>;
}

/** Declares a template, its data type taken from its schema (the sample and `render` are checked against it). */
export const defineTemplate = <N extends EmailTemplateName, D>(
  template: EmailTemplate<D> & { name: N; sample: NoInfer<D> },
): EmailTemplate<D> & { name: N } => template;

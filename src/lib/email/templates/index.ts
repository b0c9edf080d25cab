import { emailChangeConfirm, emailChangeNotice, verifyEmail, welcome } from "./account";
import { paymentFailed, subscriptionReceipt } from "./billing";
import { resultReady, subjectiveGraded } from "./exam";
import { newDeviceSignIn, passwordChanged, passwordReset } from "./security";
import { EMAIL_TEMPLATE_NAMES, type EmailTemplate, type EmailTemplateName, type RenderContext, type RenderedEmail } from "./template";
import { webhookDisabled } from "./webhooks";
import { weeklySummary } from "./weekly-summary";

export {
  EMAIL_TEMPLATE_NAMES,
  type EmailCategory,
  type EmailTemplate,
  type EmailTemplateName,
  type RenderContext,
  type RenderedEmail,
} from "./template";
export { formatDate, formatDay, formatMoney, maskEmail } from "./format";

/** Every template by name. Each entry's `name` is its key, and every name has one (a compile error otherwise). */
export const EMAIL_TEMPLATES = {
  verify_email: verifyEmail,
  welcome,
  password_reset: passwordReset,
  password_changed: passwordChanged,
  email_change_confirm: emailChangeConfirm,
  email_change_notice: emailChangeNotice,
  new_device_sign_in: newDeviceSignIn,
  result_ready: resultReady,
  subjective_graded: subjectiveGraded,
  subscription_receipt: subscriptionReceipt,
  payment_failed: paymentFailed,
  webhook_disabled: webhookDisabled,
  weekly_summary: weeklySummary,
} as const satisfies { [N in EmailTemplateName]: EmailTemplate<unknown> & { name: N } };

/** Validates `data` against the template's schema (throws a ZodError on mismatch) and renders it. */
export async function renderEmail(name: EmailTemplateName, data: unknown, ctx: RenderContext): Promise<RenderedEmail> {
  const template: EmailTemplate<unknown> = EMAIL_TEMPLATES[name];
  return template.render(template.data.parse(data), ctx);
}

export function isEmailTemplateName(value: string): value is EmailTemplateName {
  return (EMAIL_TEMPLATE_NAMES as readonly string[]).includes(value);
}

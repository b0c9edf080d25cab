import { z } from "zod";
import { EMAIL_STATUSES } from "../../db/schema";
import { paginationQuery } from "./pagination";
import { plainText } from "./text";
import { emailSchema, passwordField } from "./users";

/** Any string up to a bound: an unknown or malformed token is refused as invalid, not as a schema error. */
const token = z.string().min(1).max(200);

export const tokenBody = z.strictObject({ token });

export const passwordResetBody = z.strictObject({ email: emailSchema });

/** The new password's policy is checked in the route, where the account's email is known. */
export const passwordResetConfirmBody = z.strictObject({
  token,
  password: passwordField,
  /** Also revoke every API key of the account (recovering from a compromise). */
  revokeApiKeys: z.boolean().default(false),
});

export const emailChangeBody = z.strictObject({
  newEmail: emailSchema,
  /** The current password: an open session alone may not move the account to another mailbox. */
  password: z.string().min(1).max(256),
});

export const notificationsPatch = z
  .strictObject({ resultReady: z.boolean().optional(), subjectiveGraded: z.boolean().optional(), weeklySummary: z.boolean().optional() })
  .refine((body) => Object.keys(body).length > 0, "Send at least one preference to change");

export const unsubscribeQuery = z.object({ token: z.string().min(1).max(200) });

export const mailboxQuery = paginationQuery.extend({
  to: z.string().trim().toLowerCase().max(320).optional(),
  status: z.enum(EMAIL_STATUSES).optional(),
  template: z.string().max(64).optional(),
});

export const suppressionBody = z.strictObject({ email: emailSchema, detail: plainText({ max: 200 }).optional() });

export const suppressionQuery = paginationQuery;

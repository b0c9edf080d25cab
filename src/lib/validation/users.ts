import { z } from "zod";
import { plainText } from "./text";

const PASSWORD_MIN_LENGTH = 12;
/** PBKDF2 hashes any length, but an unbounded password is free CPU for an attacker. */
const PASSWORD_MAX_LENGTH = 256;

/** Trimmed, lower-cased and checked; the users table stores exactly this form. */
export const emailSchema = z.string().trim().toLowerCase().min(3).max(254).pipe(z.email("Invalid email address"));

const nameSchema = plainText({ max: 100 });

/**
 * Every rule a password breaks, each as a message naming the rule. The email's local part counts only
 * from three characters on, so "jo@…" does not forbid every password containing "jo".
 */
export function passwordPolicyViolations(password: string, email?: string): string[] {
  const violations: string[] = [];
  if (password.length < PASSWORD_MIN_LENGTH) violations.push(`Password must be at least ${PASSWORD_MIN_LENGTH} characters long`);
  if (password.length > PASSWORD_MAX_LENGTH) violations.push(`Password must be at most ${PASSWORD_MAX_LENGTH} characters long`);
  if (!/[A-Z]/.test(password)) violations.push("Password must contain an upper-case letter");
  if (!/[a-z]/.test(password)) violations.push("Password must contain a lower-case letter");
  if (!/[0-9]/.test(password)) violations.push("Password must contain a digit");
  if (!/[^A-Za-z0-9]/.test(password)) violations.push("Password must contain a symbol");
  const localPart = email?.split("@")[0]?.trim().toLowerCase();
  if (localPart && localPart.length >= 3 && password.toLowerCase().includes(localPart)) {
    violations.push("Password must not contain the email address's local part");
  }
  return violations;
}

export const passwordField = z.string().max(PASSWORD_MAX_LENGTH);

export const registerBody = z
  .strictObject({
    email: emailSchema,
    password: passwordField,
    name: nameSchema,
  })
  .superRefine((body, ctx) => {
    for (const message of passwordPolicyViolations(body.password, body.email)) {
      ctx.addIssue({ code: "custom", path: ["password"], message });
    }
  });
export type RegisterBody = z.infer<typeof registerBody>;

/** Login checks nothing about the password's shape: a policy hint would tell an attacker what to try. */
export const loginBody = z.strictObject({
  email: z.string().trim().toLowerCase().min(1).max(254),
  password: z.string().min(1).max(PASSWORD_MAX_LENGTH),
});
export type LoginBody = z.infer<typeof loginBody>;

function isTimeZone(value: string): boolean {
  try {
    new Intl.DateTimeFormat("en-US", { timeZone: value });
    return true;
  } catch {
    return false;
  }
}

/** The fields a user may change about themselves; role and email are deliberately absent. */
export const profileUpdateBody = z
  .strictObject({
    name: nameSchema.optional(),
    bio: plainText({ max: 1000, min: 0, multiline: true }).nullable().optional(),
    avatarUrl: z
      .url({ protocol: /^https$/, error: "Avatar URL must be an https URL" })
      .max(2048)
      .nullable()
      .optional(),
    timezone: z.string().min(1).max(64).refine(isTimeZone, "Unknown IANA time zone").optional(),
    targetExam: plainText({ max: 100 }).nullable().optional(),
  })
  .refine((body) => Object.keys(body).length > 0, "Send at least one field to change");
export type ProfileUpdateBody = z.infer<typeof profileUpdateBody>;

/** The new password's policy is checked in the route, where the user's email is known. */
export const passwordChangeBody = z.strictObject({
  currentPassword: z.string().min(1).max(PASSWORD_MAX_LENGTH),
  newPassword: passwordField,
  /** Also revoke every API key of the account (recovering from a compromise). */
  revokeApiKeys: z.boolean().default(false),
});
export type PasswordChangeBody = z.infer<typeof passwordChangeBody>;

export const sessionIdParam = z.strictObject({ id: z.string().regex(/^ses_[0-9A-Z]{26}$/, "Invalid session id") });

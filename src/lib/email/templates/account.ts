import { z } from "zod";
import { button, greeting, note, paragraph, strong } from "./blocks";
import { displayName, emailAddress, httpUrl, isoDateTime } from "./fields";
import { appLink, formatDate, formatLifetime, maskEmail, subjectLine } from "./format";
import { renderLayout } from "./layout";
import { defineTemplate } from "./template";

/** The account's own mail: confirming an address, welcoming, changing the address. */

export const verifyEmail = defineTemplate({
  name: "verify_email",
  description: "Confirms a new account's email address with a single-use link.",
  category: "transactional",
  sensitive: true,
  preference: null,
  data: z.strictObject({ name: displayName, verifyUrl: httpUrl, expiresInHours: z.number().int().positive() }),
  sample: { name: "Ada Lovelace", verifyUrl: "https://app.proctor.example/verify-email?token=et_sample", expiresInHours: 24 },
  render: (data, ctx) =>
    renderLayout(
      {
        subject: subjectLine`Verify your email for ${ctx.appName}`,
        preheader: `Confirm your address to finish setting up your ${ctx.appName} account.`,
        heading: "Verify your email",
        blocks: [
          greeting(data.name),
          paragraph(`Thanks for signing up for ${ctx.appName}. Confirm that this is your email address to finish setting up your account.`),
          button("Verify email", data.verifyUrl),
          note(
            `This link expires in ${formatLifetime(data.expiresInHours * 60)} and works once. If you didn't create an account, ignore this email.`,
          ),
        ],
        reason: `You received this email because this address was used to sign up for ${ctx.appName}.`,
      },
      ctx,
    ),
});

export const welcome = defineTemplate({
  name: "welcome",
  description: "Welcomes a new user once their account exists.",
  category: "transactional",
  sensitive: false,
  preference: null,
  data: z.strictObject({ name: displayName }),
  sample: { name: "Ada Lovelace" },
  render: (data, ctx) =>
    renderLayout(
      {
        subject: subjectLine`Welcome to ${ctx.appName}`,
        preheader: "Your account is ready: take a practice test and see where your marks come from.",
        heading: `Welcome to ${ctx.appName}`,
        blocks: [
          greeting(data.name),
          paragraph(`Your ${ctx.appName} account is ready.`),
          paragraph(
            "Take a timed practice test, see your score section by section, and set study goals to keep your preparation on track.",
          ),
          button(`Open ${ctx.appName}`, ctx.appUrl),
        ],
        reason: `You received this email because you created a ${ctx.appName} account.`,
      },
      ctx,
    ),
});

export const emailChangeConfirm = defineTemplate({
  name: "email_change_confirm",
  description: "Sent to the new address of an email change: a single-use link that completes it.",
  category: "transactional",
  sensitive: true,
  preference: null,
  data: z.strictObject({ name: displayName, newEmail: emailAddress, confirmUrl: httpUrl, expiresInHours: z.number().int().positive() }),
  sample: {
    name: "Ada Lovelace",
    newEmail: "ada@newmail.example",
    confirmUrl: "https://app.proctor.example/confirm-email-change?token=et_sample",
    expiresInHours: 24,
  },
  render: (data, ctx) =>
    renderLayout(
      {
        subject: subjectLine`Confirm your new email for ${ctx.appName}`,
        preheader: "Confirm this address to finish changing your account's email.",
        heading: "Confirm your new email",
        blocks: [
          greeting(data.name),
          paragraph(`You asked to change the email address of your ${ctx.appName} account to `, strong(data.newEmail), "."),
          paragraph("Confirm this address to complete the change. Until then, your account keeps its current address."),
          button("Confirm new email", data.confirmUrl),
          note(
            `This link expires in ${formatLifetime(data.expiresInHours * 60)} and works once. If you didn't ask for this, ignore this email.`,
          ),
        ],
        reason: `You received this email because someone asked to use this address for a ${ctx.appName} account.`,
      },
      ctx,
    ),
});

export const emailChangeNotice = defineTemplate({
  name: "email_change_notice",
  description: "Tells the current address that a change to another address was requested.",
  category: "transactional",
  sensitive: false,
  preference: null,
  data: z.strictObject({ name: displayName, newEmail: emailAddress, requestedAt: isoDateTime }),
  sample: { name: "Ada Lovelace", newEmail: "ada@newmail.example", requestedAt: "2026-12-03T14:05:00.000Z" },
  render: (data, ctx) =>
    renderLayout(
      {
        subject: subjectLine`Your ${ctx.appName} email address is being changed`,
        preheader: `Someone asked to move your account to ${maskEmail(data.newEmail)}.`,
        heading: "Your email address is being changed",
        blocks: [
          greeting(data.name),
          paragraph(
            `On ${formatDate(data.requestedAt)}, someone asked to change the email address of your ${ctx.appName} account to `,
            strong(maskEmail(data.newEmail)),
            ". The change takes effect once the new address is confirmed.",
          ),
          note("If you asked for this, there's nothing more to do here."),
          paragraph(strong("If this wasn't you"), ", reset your password now: someone may know it."),
          button("Reset your password", appLink(ctx.appUrl, "/forgot-password")),
        ],
        reason: `You received this email because it is the address of your ${ctx.appName} account.`,
      },
      ctx,
    ),
});

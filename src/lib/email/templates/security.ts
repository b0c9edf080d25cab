import { z } from "zod";
import { button, facts, greeting, note, paragraph, strong } from "./blocks";
import { displayName, httpUrl, ipAddress, isoDateTime, text } from "./fields";
import { appLink, formatDate, formatLifetime, subjectLine } from "./format";
import { renderLayout } from "./layout";
import { defineTemplate, type RenderContext } from "./template";

/** Mail about the account's credentials and sign-ins: always sent, whatever the user's preferences. */

const resetPasswordButton = (ctx: RenderContext) => button("Reset your password", appLink(ctx.appUrl, "/forgot-password"));

export const passwordReset = defineTemplate({
  name: "password_reset",
  description: "A single-use link to choose a new password, after a reset request.",
  category: "transactional",
  sensitive: true,
  preference: null,
  data: z.strictObject({ name: displayName, resetUrl: httpUrl, expiresInMinutes: z.number().int().positive(), ip: ipAddress }),
  sample: {
    name: "Ada Lovelace",
    resetUrl: "https://app.proctor.example/reset-password?token=et_sample",
    expiresInMinutes: 60,
    ip: "203.0.113.7",
  },
  render: (data, ctx) =>
    renderLayout(
      {
        subject: subjectLine`Reset your ${ctx.appName} password`,
        preheader: `Choose a new password: this link expires in ${formatLifetime(data.expiresInMinutes)}.`,
        heading: "Reset your password",
        blocks: [
          greeting(data.name),
          data.ip
            ? paragraph(`We received a request to reset the password of your ${ctx.appName} account from IP address `, strong(data.ip), ".")
            : paragraph(`We received a request to reset the password of your ${ctx.appName} account.`),
          button("Choose a new password", data.resetUrl),
          note(`This link expires in ${formatLifetime(data.expiresInMinutes)} and works once.`),
          note(strong("If this wasn't you"), ", ignore this email: your password is unchanged."),
        ],
        reason: `You received this email because a password reset was requested for your ${ctx.appName} account.`,
      },
      ctx,
    ),
});

export const passwordChanged = defineTemplate({
  name: "password_changed",
  description: "Confirms that the account's password was changed, with a way back if it wasn't the user.",
  category: "transactional",
  sensitive: false,
  preference: null,
  data: z.strictObject({ name: displayName, changedAt: isoDateTime, ip: ipAddress, via: z.enum(["reset", "settings"]) }),
  sample: { name: "Ada Lovelace", changedAt: "2026-12-03T14:05:00.000Z", ip: "203.0.113.7", via: "reset" },
  render: (data, ctx) =>
    renderLayout(
      {
        subject: subjectLine`Your ${ctx.appName} password was changed`,
        preheader: `Your password was changed on ${formatDate(data.changedAt)}.`,
        heading: "Your password was changed",
        blocks: [
          greeting(data.name),
          paragraph(`The password of your ${ctx.appName} account was just changed.`),
          facts([
            ["When", formatDate(data.changedAt)],
            ["How", data.via === "reset" ? "With a password reset link" : "From your account settings"],
            ["IP address", data.ip ?? "Unknown"],
          ]),
          note("If you made this change, there's nothing more to do."),
          paragraph(strong("If this wasn't you"), ", reset your password now: someone else may have access to your account."),
          resetPasswordButton(ctx),
        ],
        reason: `You received this email because the password of your ${ctx.appName} account was changed.`,
      },
      ctx,
    ),
});

export const newDeviceSignIn = defineTemplate({
  name: "new_device_sign_in",
  description: "Warns of a sign-in from a device or place the account's recent sign-ins never used.",
  category: "transactional",
  sensitive: false,
  preference: null,
  data: z.strictObject({
    name: displayName,
    signedInAt: isoDateTime,
    ip: ipAddress,
    userAgent: text(1000).nullable(),
    location: text(200).nullable(),
  }),
  sample: {
    name: "Ada Lovelace",
    signedInAt: "2026-12-03T14:05:00.000Z",
    ip: "203.0.113.7",
    userAgent: "Mozilla/5.0 (Macintosh; Intel Mac OS X 14_5) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/17.5 Safari/605.1.15",
    location: "Lisbon, PT",
  },
  render: (data, ctx) =>
    renderLayout(
      {
        subject: subjectLine`New sign-in to your ${ctx.appName} account`,
        preheader: `Your account was signed in to on ${formatDate(data.signedInAt)}${data.location ? ` from ${data.location}` : ""}.`,
        heading: "New sign-in to your account",
        blocks: [
          greeting(data.name),
          paragraph(`Your ${ctx.appName} account was signed in to from a device or place it hasn't been used from recently.`),
          facts([
            ["When", formatDate(data.signedInAt)],
            ["Device", data.userAgent ?? "Unknown"],
            ["Location", data.location ?? "Unknown"],
            ["IP address", data.ip ?? "Unknown"],
          ]),
          note("If this was you, there's nothing to do."),
          paragraph(strong("If this wasn't you"), ", reset your password now."),
          resetPasswordButton(ctx),
        ],
        reason: `You received this email because it concerns the security of your ${ctx.appName} account.`,
      },
      ctx,
    ),
});

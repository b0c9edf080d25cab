import { z } from "zod";
import { button, facts, greeting, heading, note, paragraph, strong } from "./blocks";
import { displayName, httpUrl, isoDateTime, text, title } from "./fields";
import { formatDay, formatMoney, subjectLine } from "./format";
import { renderLayout } from "./layout";
import { defineTemplate } from "./template";

/** Mail about paying for a subscription. */

/** Who paid what for which plan: the fields both billing mails carry. */
const payment = {
  name: displayName,
  planName: title,
  amountCents: z.number().int().nonnegative(),
  /** An ISO 4217 code, as plans store it. */
  currency: z.string().regex(/^[A-Z]{3}$/),
};

export const subscriptionReceipt = defineTemplate({
  name: "subscription_receipt",
  description: "The receipt of a subscription's payment.",
  category: "transactional",
  sensitive: false,
  preference: null,
  data: z.strictObject({
    ...payment,
    method: text(100),
    subscriptionId: text(100),
    startsAt: isoDateTime,
    endsAt: isoDateTime,
  }),
  sample: {
    name: "Ada Lovelace",
    planName: "Pro (monthly)",
    amountCents: 1999,
    currency: "USD",
    method: "manual",
    subscriptionId: "sub_01JDX3W8Q6N0Z5V1Y2K7T4R9HC",
    startsAt: "2026-12-03T14:05:00.000Z",
    endsAt: "2027-01-03T14:05:00.000Z",
  },
  render: (data, ctx) =>
    renderLayout(
      {
        subject: subjectLine`Your ${ctx.appName} receipt: ${data.planName}, ${formatMoney(data.amountCents, data.currency)}`,
        preheader: `We received your payment of ${formatMoney(data.amountCents, data.currency)}.`,
        heading: "Thanks for your payment",
        blocks: [
          greeting(data.name),
          paragraph("Your ", strong(data.planName), " subscription is active. Here is your receipt."),
          heading("Receipt"),
          facts([
            ["Plan", data.planName],
            ["Amount paid", formatMoney(data.amountCents, data.currency)],
            ["Payment method", data.method],
            ["Period", `${formatDay(data.startsAt)} – ${formatDay(data.endsAt)}`],
            ["Subscription", data.subscriptionId],
          ]),
          note("Keep this email for your records."),
        ],
        reason: `You received this email because you paid for a ${ctx.appName} subscription.`,
      },
      ctx,
    ),
});

export const paymentFailed = defineTemplate({
  name: "payment_failed",
  description: "A subscription's payment was declined; links to billing to try again.",
  category: "transactional",
  sensitive: false,
  preference: null,
  data: z.strictObject({
    ...payment,
    reason: text(500),
    retryUrl: httpUrl,
  }),
  sample: {
    name: "Ada Lovelace",
    planName: "Pro (monthly)",
    amountCents: 1999,
    currency: "USD",
    reason: "The card was declined by its issuer.",
    retryUrl: "https://app.proctor.example/settings/billing",
  },
  render: (data, ctx) =>
    renderLayout(
      {
        subject: subjectLine`Payment failed for your ${ctx.appName} ${data.planName} subscription`,
        preheader: `We couldn't take your payment of ${formatMoney(data.amountCents, data.currency)}.`,
        heading: "Your payment didn't go through",
        blocks: [
          greeting(data.name),
          paragraph(
            "We couldn't take the payment of ",
            strong(formatMoney(data.amountCents, data.currency)),
            " for your ",
            strong(data.planName),
            " subscription.",
          ),
          facts([["Reason", data.reason]]),
          paragraph("Your subscription starts once a payment goes through."),
          button("Retry payment", data.retryUrl),
        ],
        reason: `You received this email because it concerns a payment for your ${ctx.appName} account.`,
      },
      ctx,
    ),
});

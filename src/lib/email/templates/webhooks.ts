import { z } from "zod";
import { button, facts, greeting, paragraph, strong } from "./blocks";
import { displayName, httpUrl, isoDateTime, text } from "./fields";
import { displayUrl, formatDate, subjectLine } from "./format";
import { renderLayout } from "./layout";
import { defineTemplate } from "./template";

export const webhookDisabled = defineTemplate({
  name: "webhook_disabled",
  description: "Tells a webhook's owner that deliveries to it stopped: it answered 410 Gone, or kept failing.",
  category: "transactional",
  sensitive: false,
  preference: null,
  data: z.strictObject({
    name: displayName,
    url: text(2048),
    reason: z.enum(["gone", "failing"]),
    failingSince: isoDateTime.nullable(),
    webhookId: text(100),
    manageUrl: httpUrl,
  }),
  sample: {
    name: "Ada Lovelace",
    url: "https://hooks.partner.example/proctor/events",
    reason: "failing",
    failingSince: "2026-11-30T08:00:00.000Z",
    webhookId: "whk_01JDX3W8Q6N0Z5V1Y2K7T4R9HC",
    manageUrl: "https://app.proctor.example/settings/webhooks/whk_01JDX3W8Q6N0Z5V1Y2K7T4R9HC",
  },
  render: (data, ctx) => {
    // The endpoint is shown, never linked: it is the owner's server, and its query may hold a secret.
    const endpoint = displayUrl(data.url);
    const why =
      data.reason === "gone"
        ? "The endpoint answered 410 Gone"
        : data.failingSince
          ? `Every delivery has failed since ${formatDate(data.failingSince)}`
          : "Its deliveries kept failing";
    return renderLayout(
      {
        subject: subjectLine`Your ${ctx.appName} webhook to ${endpoint} was disabled`,
        preheader: `${why}, so we stopped sending it events.`,
        heading: "A webhook was disabled",
        blocks: [
          greeting(data.name),
          paragraph("We stopped sending events to your webhook endpoint ", strong(endpoint), "."),
          facts([
            ["Endpoint", endpoint],
            ["Webhook", data.webhookId],
            ["Why", why],
          ]),
          paragraph(
            "Events that happen while it is disabled are not delivered to it. Once the endpoint is ready, turn the webhook back on in its settings.",
          ),
          button("Manage webhook", data.manageUrl),
        ],
        reason: `You received this email because you own this webhook on ${ctx.appName}.`,
      },
      ctx,
    );
  },
});

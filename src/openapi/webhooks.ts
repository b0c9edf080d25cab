import type { OpenAPIV3_1 } from "openapi-types";
import { z } from "zod";
import { EVENT_CATALOGUE } from "../lib/events/catalogue";

const SIGNATURE_HEADERS: OpenAPIV3_1.ParameterObject[] = [
  {
    name: "webhook-id",
    in: "header",
    required: true,
    description: "The message id: the same for every retry and replay of one message.",
    schema: { type: "string" },
  },
  {
    name: "webhook-timestamp",
    in: "header",
    required: true,
    description: "Unix seconds when this attempt was signed.",
    schema: { type: "string" },
  },
  {
    name: "webhook-signature",
    in: "header",
    required: true,
    description: "Standard Webhooks signatures (`v1,<base64>`, space-separated during a secret rotation).",
    schema: { type: "string" },
  },
];

/** The body of a delivery too large to carry its data: where to read the resource instead. */
const truncatedData = {
  type: "object",
  required: ["truncated", "resource", "id", "url"],
  properties: {
    truncated: { const: true },
    resource: { type: "string" },
    id: { type: "string" },
    url: { type: ["string", "null"] },
  },
};

/**
 * The document's `webhooks`: one entry per event type of the catalogue (src/lib/events/catalogue.ts),
 * the request a subscribed endpoint receives (docs/webhooks.md).
 */
export function webhookOperations(): Record<string, OpenAPIV3_1.PathItemObject> {
  const webhooks: Record<string, OpenAPIV3_1.PathItemObject> = {};
  for (const [type, entry] of Object.entries(EVENT_CATALOGUE)) {
    const { $schema: _, ...data } = withStandardFormats(z.toJSONSchema(entry.schema, { io: "input" })) as Record<string, unknown>;
    webhooks[type] = {
      post: {
        summary: entry.description,
        description: `Payload version ${entry.version}; the resource is a \`${entry.aggregate}\`. Signed per Standard Webhooks: verify it before trusting it.`,
        tags: ["Webhook events"],
        operationId: `webhook.${type}`,
        parameters: SIGNATURE_HEADERS,
        requestBody: {
          required: true,
          content: {
            "application/json": {
              schema: {
                type: "object",
                required: ["type", "timestamp", "data"],
                properties: {
                  type: { const: type },
                  timestamp: { type: "string", format: "date-time" },
                  data: { oneOf: [data, truncatedData] },
                },
              } as never,
            },
          },
        },
        responses: {
          "2XX": { description: "Received. Any other answer, or none within the timeout, is retried." },
          "410": { description: "Gone: the endpoint is disabled and receives nothing more." },
        },
      },
    };
  }
  return webhooks;
}

/** zod writes `format: "starts_with"` beside the pattern of `startsWith()`; validators reject unknown formats, the pattern says it all. */
function withStandardFormats(node: unknown): unknown {
  if (Array.isArray(node)) return node.map(withStandardFormats);
  if (!node || typeof node !== "object") return node;
  const entries = Object.entries(node).filter(([key, value]) => !(key === "format" && value === "starts_with"));
  return Object.fromEntries(entries.map(([key, value]) => [key, withStandardFormats(value)]));
}

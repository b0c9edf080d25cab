import { z } from "zod";
import { isoDateTime, prefixedId } from "./primitives";
import { scopeSchema } from "../../lib/validation/api-keys";

/** An API key as its owner sees it: never the secret, which is shown once, on creation and rotation. */
export const apiKeySchema = z
  .object({
    id: prefixedId("apiKey"),
    name: z.string(),
    prefix: z.string().meta({ description: "The key's first characters, to tell keys apart.", examples: ["pk_7Hq2xYv9"] }),
    scopes: z.array(scopeSchema),
    status: z.enum(["active", "revoked", "expired"]),
    rateLimit: z.object({ limit: z.number().int(), windowSeconds: z.number().int() }).nullable(),
    usageCount: z.number().int(),
    lastUsedAt: isoDateTime.nullable(),
    expiresAt: isoDateTime.nullable(),
    revokedAt: isoDateTime.nullable(),
    previousKeyExpiresAt: isoDateTime.nullable().meta({ description: "After a rotation, until when the old secret still works." }),
    createdAt: isoDateTime,
    updatedAt: isoDateTime,
  })
  .meta({ id: "ApiKey" });

export const apiKeyWithSecretSchema = apiKeySchema
  .extend({
    key: z
      .string()
      .meta({ description: "The secret (`pk_…`), shown only in this response.", examples: ["pk_3mJ8sQ2vXw9LpR4tYb6NcE1dZk7HfGa5"] }),
  })
  .meta({ id: "ApiKeyWithSecret" });

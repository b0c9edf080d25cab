import { z } from "zod";
import { isoDateTime, prefixedId } from "./primitives";

/** A stored file's record (src/routes/uploads.ts); the bytes come from GET /v1/uploads/{id}/content. */
export const uploadSchema = z
  .object({
    id: prefixedId("upload"),
    key: z.string().meta({ description: "The object's key in storage." }),
    filename: z.string(),
    size: z.number().int(),
    contentType: z.string(),
    sha256: z.string().regex(/^[0-9a-f]{64}$/),
    purpose: z.enum(["question_image", "question_import"]),
    ownerId: prefixedId("user"),
    createdAt: isoDateTime,
  })
  .meta({ id: "Upload" });

/** `multipart/form-data` with one `file` and an optional `purpose`. */
export const uploadRequestContent = {
  "multipart/form-data": {
    schema: {
      type: "object",
      required: ["file"],
      properties: {
        file: { type: "string", contentMediaType: "application/octet-stream" },
        purpose: { type: "string", enum: ["question_image", "question_import"] },
      },
    },
  },
};

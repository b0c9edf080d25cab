import { z } from "zod";
import { EXPORT_FORMATS, EXPORT_KINDS } from "../../db/schema";

/** POST /v1/exports: the kind's own parameters are checked against its catalogue entry in the route. */
export const exportRequest = z.strictObject({
  kind: z.enum(EXPORT_KINDS),
  format: z.enum(EXPORT_FORMATS),
  params: z
    .record(z.string(), z.unknown())
    .default({})
    .meta({ description: "The kind's parameters: testId, attemptId, filters (docs/exports.md)." }),
  byteOrderMark: z.boolean().default(false).meta({ description: "CSV only: start the file with a UTF-8 byte-order mark." }),
});

export const downloadQuery = z.strictObject({
  expires: z.coerce.number().int().positive(),
  signature: z.string().min(1).max(128),
});

import { z } from "zod";
import { EXPORT_FORMATS, EXPORT_KINDS, EXPORT_STATUSES } from "../../db/schema";
import { isoDateTime, prefixedId } from "./primitives";

/** An export as its owner sees it (src/lib/exports/present.ts). */
export const exportSchema = z
  .object({
    id: prefixedId("export"),
    kind: z.enum(EXPORT_KINDS),
    format: z.enum(EXPORT_FORMATS),
    params: z.record(z.string(), z.unknown()),
    byteOrderMark: z.boolean(),
    status: z.enum(EXPORT_STATUSES),
    progress: z.number().int().min(0).max(100),
    progressMessage: z.string().nullable(),
    filename: z.string(),
    contentType: z.string(),
    sizeBytes: z.number().int().nullable(),
    rowCount: z.number().int().nullable(),
    error: z.string().nullable(),
    jobId: prefixedId("job"),
    createdAt: isoDateTime,
    startedAt: isoDateTime.nullable(),
    completedAt: isoDateTime.nullable(),
    expiresAt: isoDateTime.nullable().meta({ description: "When the file is deleted (set once it is complete)." }),
  })
  .meta({ id: "Export" });

export const downloadLinkSchema = z
  .object({
    url: z.url().meta({ description: "Works without credentials until it expires; open it to download the file." }),
    expiresAt: isoDateTime,
  })
  .meta({ id: "ExportDownloadLink" });

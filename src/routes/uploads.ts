import { and, desc, eq, lt } from "drizzle-orm";
import { Hono, type Context } from "hono";
import { z } from "zod";
import { auditInsert, writeAudit } from "../lib/audit/writer";
import { clock, iso } from "../lib/clock";
import { ApiError } from "../lib/errors";
import { newId } from "../lib/ids";
import { recordMaliciousUpload } from "../lib/security/detectors/malicious-upload";
import { UPLOADS_PREFIX } from "../lib/storage/areas";
import { ALLOWED_EXTENSIONS, bareMediaType, sniffFileType, typeForExtension, type FileType } from "../lib/uploads/file-types";
import { SERVED_FILE_HEADERS } from "../lib/uploads/served-file";
import { contentThreats, universalThreats, type ThreatReason } from "../lib/uploads/threats";
import { decodeCursor, idCursor, paginationQuery, toPage } from "../lib/validation/pagination";
import { validate } from "../lib/validation/validate";
import { authOf, requireScope } from "../middleware/auth";
import { rateLimit } from "../middleware/rate-limit";
import { uploads, type Upload } from "../db/schema";
import type { AppEnv } from "../env";
import { fileResponse, operationsOf } from "../openapi/describe";
import { page } from "../openapi/schemas/primitives";
import { uploadRequestContent, uploadSchema } from "../openapi/schemas/upload";

const describe = operationsOf("Uploads");

export const UPLOAD_PURPOSES = ["question_image", "question_import"] as const;
const purposeField = z.enum(UPLOAD_PURPOSES).optional();
const uploadListQuery = paginationQuery.extend({ purpose: z.enum(UPLOAD_PURPOSES).optional() });

const UPLOAD_ID = /^upl_[0-9A-HJKMNP-TV-Z]{26}$/;
const MAX_FILENAME_LENGTH = 255;

type Ctx = Context<AppEnv>;

function presentUpload(row: Upload) {
  return {
    id: row.id,
    key: row.key,
    filename: row.filename,
    size: row.size,
    contentType: row.contentType,
    sha256: row.sha256,
    purpose: row.purpose,
    ownerId: row.ownerId,
    createdAt: iso(row.createdAt),
  };
}

async function sha256Hex(bytes: Uint8Array): Promise<string> {
  const digest = new Uint8Array(await crypto.subtle.digest("SHA-256", bytes));
  return [...digest].map((byte) => byte.toString(16).padStart(2, "0")).join("");
}

/** The file's own name: browsers on Windows may send a full path (`C:\fakepath\x.png`). */
function baseName(name: string): string {
  return name.slice(Math.max(name.lastIndexOf("/"), name.lastIndexOf("\\")) + 1).trim();
}

/** The one `file` part of a multipart body, or a clear 4xx. */
async function readFilePart(c: Ctx): Promise<{ file: File; purpose: (typeof UPLOAD_PURPOSES)[number] | undefined }> {
  if (bareMediaType(c.req.header("Content-Type")) !== "multipart/form-data") {
    throw new ApiError("unsupported_media_type", "Send the file as multipart/form-data in a field named `file`.");
  }
  let form: FormData;
  try {
    form = await c.req.formData();
  } catch (error) {
    if (error instanceof ApiError) throw error;
    throw new ApiError("bad_request", "The multipart body could not be parsed.");
  }
  const parts = form.getAll("file");
  const file = parts[0];
  if (parts.length !== 1 || typeof file === "string" || file === undefined) {
    throw ApiError.validation([{ path: "file", message: parts.length > 1 ? "Send exactly one file" : "A file is required" }]);
  }
  const purposeValue = form.get("purpose");
  const purpose = purposeField.safeParse(typeof purposeValue === "string" ? purposeValue : undefined);
  if (!purpose.success) {
    throw ApiError.validation([{ path: "purpose", message: `Must be one of: ${UPLOAD_PURPOSES.join(", ")}` }]);
  }
  for (const key of form.keys()) {
    if (key !== "file" && key !== "purpose") throw ApiError.validation([{ path: key, message: "Unknown field" }]);
  }
  return { file, purpose: purpose.data };
}

function unsupported(detail: string): ApiError {
  return new ApiError("unsupported_file_type", detail, { extensions: { allowedExtensions: ALLOWED_EXTENSIONS } });
}

/**
 * Rejects a dangerous file (422 `malicious_file`), leaving a trail: a HIGH SecurityEvent with the
 * reasons and hash, and a FAILURE audit row. The file itself is never stored.
 */
async function rejectMalicious(c: Ctx, file: File, filename: string, bytes: Uint8Array, reasons: ThreatReason[]): Promise<never> {
  const sha256 = await sha256Hex(bytes);
  recordMaliciousUpload(c, { filename, declaredType: file.type, size: bytes.byteLength, sha256, reasons });
  await writeAudit(c, {
    action: "upload.created",
    status: "FAILURE",
    target: { type: "upload" },
    metadata: { reason: "malicious_file", reasons, filename: filename.slice(0, MAX_FILENAME_LENGTH), sha256 },
  });
  throw new ApiError("malicious_file", "The file was rejected because its content is dangerous.", { extensions: { reasons } });
}

/** Extension, declared type and content must name one allowed type. */
function verifyType(filename: string, declaredType: string, bytes: Uint8Array, purpose: string | undefined): FileType {
  const dot = filename.lastIndexOf(".");
  const extension = dot > 0 ? filename.slice(dot + 1).toLowerCase() : "";
  const byExtension = typeForExtension(extension);
  if (!byExtension) throw unsupported(`Files ending in "${extension ? `.${extension}` : "(no extension)"}" are not accepted.`);
  const actual = sniffFileType(bytes, byExtension);
  if (!actual) throw unsupported(`The content is not a valid ${byExtension.kind.toUpperCase()} file.`);
  if (actual.kind !== byExtension.kind) {
    throw unsupported(`The content is ${actual.kind.toUpperCase()} but the name says .${extension}.`);
  }
  const declared = bareMediaType(declaredType);
  if (!actual.declaredTypes.includes(declared)) {
    throw unsupported(`The declared type "${declared || "(none)"}" does not match the content (${actual.contentType}).`);
  }
  if (purpose === "question_image" && actual.category !== "image") throw unsupported("A question_image must be PNG, JPEG, GIF or WebP.");
  return actual;
}

export const uploadRoutes = new Hono<AppEnv>()
  .use("*", rateLimit({ policy: "api" }))
  /**
   * Checks, in order: size (413), a deceptive name or an executable under any name (422), the
   * extension allow-list and agreement of extension, declared type and magic bytes (415), then
   * type-specific dangers: polyglots, PDF actions, CSV formulas, archive bombs (422).
   */
  .post(
    "/",
    describe({
      summary: "Upload a file (question image or import)",
      requestBody: { content: uploadRequestContent, required: true },
      responses: { 201: ["The stored file's record", uploadSchema] },
      errors: [
        "bad_request",
        "validation_failed",
        "unsupported_media_type",
        "unsupported_file_type",
        "malicious_file",
        "payload_too_large",
      ],
    }),
    requireScope("uploads:write"),
    async (c) => {
      const auth = authOf(c);
      const { file, purpose } = await readFilePart(c);
      const maxBytes = c.var.config.maxUploadBytes;
      if (file.size > maxBytes) {
        throw new ApiError("payload_too_large", `The file exceeds ${maxBytes} bytes.`, { extensions: { maxBytes } });
      }
      if (file.size === 0) throw ApiError.validation([{ path: "file", message: "The file is empty" }]);
      const filename = baseName(file.name ?? "");
      if (!filename || filename.length > MAX_FILENAME_LENGTH) {
        throw ApiError.validation([{ path: "file", message: `The file name must be 1 to ${MAX_FILENAME_LENGTH} characters` }]);
      }
      const bytes = new Uint8Array(await file.arrayBuffer());

      const universal = universalThreats(filename, bytes);
      if (universal.length > 0) return rejectMalicious(c, file, filename, bytes, universal);
      const type = verifyType(filename, file.type, bytes, purpose);
      const specific = await contentThreats(type, bytes);
      if (specific.length > 0) return rejectMalicious(c, file, filename, bytes, specific);

      const now = clock.now();
      const id = newId("upload", now);
      const sha256 = await sha256Hex(bytes);
      const key = `${UPLOADS_PREFIX}${auth.userId}/${id}.${type.extensions[0]}`;
      const row: Upload = {
        id,
        ownerId: auth.userId,
        key,
        filename,
        size: bytes.byteLength,
        contentType: type.contentType,
        sha256,
        purpose: purpose ?? (type.category === "image" ? "question_image" : "question_import"),
        createdAt: now,
      };
      await c.env.FILES.put(key, bytes, {
        httpMetadata: {
          contentType: type.contentType,
          contentDisposition: `attachment; filename="${id}.${type.extensions[0]}"`,
        },
        customMetadata: { uploadId: id, ownerId: auth.userId, sha256 },
        sha256,
      });
      const db = c.var.db;
      try {
        await db.batch([
          db.insert(uploads).values(row),
          auditInsert(c, {
            action: "upload.created",
            target: { type: "upload", id },
            after: { key, filename, size: row.size, contentType: row.contentType, sha256, purpose: row.purpose },
          }),
        ]);
      } catch (error) {
        // No row, no object: an orphan in R2 would be stored data nobody can see or delete.
        await c.env.FILES.delete(key).catch(() => undefined);
        throw error;
      }
      return c.json(presentUpload(row), 201, { Location: `/v1/uploads/${id}` });
    },
  )

  /** The caller's own uploads, newest first, cursor-paged. */
  .get(
    "/",
    describe({ summary: "List your uploads", responses: { 200: ["A page of uploads, newest first", page(uploadSchema)] } }),
    requireScope("uploads:write"),
    validate("query", uploadListQuery),
    async (c) => {
      const auth = authOf(c);
      const { limit, cursor, purpose } = c.req.valid("query");
      const rows = await c.var.db
        .select()
        .from(uploads)
        .where(
          and(
            eq(uploads.ownerId, auth.userId),
            purpose ? eq(uploads.purpose, purpose) : undefined,
            cursor ? lt(uploads.id, decodeCursor(cursor, idCursor).id) : undefined,
          ),
        )
        .orderBy(desc(uploads.id))
        .limit(limit + 1);
      return c.json(toPage(rows, limit, (row) => ({ id: row.id }), presentUpload));
    },
  )

  /** Metadata of one upload: its owner or an admin; anyone else gets 404, as if it did not exist. */
  .get(
    "/:id",
    describe({ summary: "Read an upload's record", responses: { 200: ["The record", uploadSchema] }, errors: ["not_found"] }),
    requireScope("uploads:write"),
    async (c) => {
      return c.json(presentUpload(await findVisibleUpload(c)));
    },
  )

  /** The stored bytes, always as an attachment under the verified type, never rendered inline. */
  .get(
    "/:id/content",
    describe({
      summary: "Download an upload's bytes",
      responses: { 200: fileResponse("The file, as an attachment") },
      errors: ["not_found"],
    }),
    requireScope("uploads:write"),
    async (c) => {
      const row = await findVisibleUpload(c);
      const object = await c.env.FILES.get(row.key);
      if (!object) throw ApiError.notFound("upload");
      return c.body(object.body, 200, {
        "Content-Type": row.contentType,
        "Content-Length": String(row.size),
        "Content-Disposition": `attachment; filename="${row.id}.${row.key.split(".").pop()}"`,
        ...SERVED_FILE_HEADERS,
        "Cache-Control": "private, max-age=0, no-store",
        ETag: `"${row.sha256}"`,
      });
    },
  );

async function findVisibleUpload(c: Ctx): Promise<Upload> {
  const auth = authOf(c);
  const id = c.req.param("id") ?? "";
  if (!UPLOAD_ID.test(id)) throw ApiError.notFound("upload");
  const row = await c.var.db.select().from(uploads).where(eq(uploads.id, id)).get();
  if (!row || (row.ownerId !== auth.userId && auth.role !== "admin")) throw ApiError.notFound("upload");
  return row;
}

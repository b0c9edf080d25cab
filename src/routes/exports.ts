import { and, desc, eq, inArray, lt } from "drizzle-orm";
import { Hono, type Context } from "hono";
import { z } from "zod";
import { dataExports, jobs, type Export } from "../db/schema";
import { isUniqueViolation } from "../db/unique-violation";
import type { AppEnv } from "../env";
import { auditInsert } from "../lib/audit/writer";
import { clock } from "../lib/clock";
import { ApiError, zodIssuesToFieldErrors, type FieldError } from "../lib/errors";
import { eventStatements } from "../lib/events/emit";
import { EXPORT_CATALOGUE } from "../lib/exports/catalogue";
import { signDownloadLink, verifyDownloadLink } from "../lib/exports/download-link";
import { EXPORT_FILE_TYPES, attachment, exportFilename } from "../lib/exports/formats";
import { presentExport } from "../lib/exports/present";
import { newId } from "../lib/ids";
import { enqueueStatements } from "../lib/queue";
import { SERVED_FILE_HEADERS } from "../lib/uploads/served-file";
import { decodeCursor, idCursor, paginationQuery, toPage } from "../lib/validation/pagination";
import { downloadQuery, exportRequest } from "../lib/validation/exports";
import { idInput } from "../lib/validation/ids";
import { validate } from "../lib/validation/validate";
import { authOf, requireScope } from "../middleware/auth";
import { rateLimit } from "../middleware/rate-limit";
import { fileResponse, operationsOf } from "../openapi/describe";
import { downloadLinkSchema, exportSchema } from "../openapi/schemas/export";
import { page } from "../openapi/schemas/primitives";

const describe = operationsOf("Exports");

/** Exports one account may have waiting or running at once. */
const MAX_ACTIVE_EXPORTS = 3;
const ACTIVE = ["QUEUED", "RUNNING"] as const;
const exportParam = z.object({ id: idInput("export") });

const useExports = requireScope("exports:create");

/** Exports with their job's progress (the job row may be pruned: then none). */
const exportsWithProgress = (c: Context<AppEnv>) =>
  c.var.db
    .select({ row: dataExports, progress: { progress: jobs.progress, progressMessage: jobs.progressMessage } })
    .from(dataExports)
    .leftJoin(jobs, eq(jobs.id, dataExports.jobId));

/** The export with its job's progress, if the caller owns it (or is an admin); 404 otherwise. */
async function visibleExport(
  c: Context<AppEnv>,
  id: string,
): Promise<{ row: Export; progress: { progress: number; progressMessage: string | null } | null }> {
  const auth = authOf(c);
  const found = await exportsWithProgress(c).where(eq(dataExports.id, id)).get();
  if (!found || (found.row.ownerId !== auth.userId && auth.role !== "admin")) throw ApiError.notFound("export");
  return found;
}

/** A request names its export by `Idempotency-Key`: printable ASCII, as long as a UUID or a little more. */
const IDEMPOTENCY_KEY = /^[\x21-\x7e]{1,200}$/;

function idempotencyKeyOf(c: Context<AppEnv>): string | null {
  const key = c.req.header("Idempotency-Key");
  if (key === undefined) return null;
  if (!IDEMPOTENCY_KEY.test(key)) throw ApiError.validation([{ path: "Idempotency-Key", message: "1–200 printable ASCII characters" }]);
  return key;
}

/**
 * A retried request: the export its key already names, if the request is the same one; a key reused
 * for another request is a client bug, answered 409 rather than guessed at.
 */
async function replayed(c: Context<AppEnv>, key: string, request: Pick<Export, "kind" | "format" | "params" | "byteOrderMark">) {
  const found = await exportsWithProgress(c)
    .where(and(eq(dataExports.ownerId, authOf(c).userId), eq(dataExports.idempotencyKey, key)))
    .get();
  if (!found) return null;
  const same =
    found.row.kind === request.kind &&
    found.row.format === request.format &&
    found.row.byteOrderMark === request.byteOrderMark &&
    JSON.stringify(found.row.params) === JSON.stringify(request.params);
  if (!same) throw new ApiError("conflict", "This Idempotency-Key was used for a different export request.");
  c.header("Idempotent-Replayed", "true");
  return c.json(presentExport(found.row, found.progress), 202, { Location: `/v1/exports/${found.row.id}` });
}

/** What the audit trail keeps of an export. */
const auditable = (row: Pick<Export, "kind" | "format" | "params" | "ownerId">) => ({
  kind: row.kind,
  format: row.format,
  params: row.params,
  ownerId: row.ownerId,
});

/**
 * Background exports (docs/exports.md): request one, follow its progress, get a short-lived signed
 * download link, cancel or delete it. Only the owner (or an admin) sees an export; the download link
 * itself needs no credentials, so a browser can open it.
 */
export const exportRoutes = new Hono<AppEnv>()
  .post(
    "/",
    describe({
      summary: "Request an export",
      description:
        "Checks the kind's audience, format and parameters, and your access to what it names (a test you manage, an attempt you took), then queues it. At most 3 of your exports wait or run at once. With an `Idempotency-Key` header, a retried request returns the export the key already names (`Idempotent-Replayed: true`).",
      responses: { 202: ["The queued export", exportSchema] },
      errors: ["forbidden", "not_found", "conflict"],
    }),
    rateLimit({ policy: "export" }),
    useExports,
    validate("json", exportRequest),
    async (c) => {
      const input = c.req.valid("json");
      const auth = authOf(c);
      const idempotencyKey = idempotencyKeyOf(c);
      if (idempotencyKey) {
        const earlier = await replayed(c, idempotencyKey, input);
        if (earlier) return earlier;
      }
      const kind = EXPORT_CATALOGUE[input.kind];
      if (!kind.roles.includes(auth.role))
        throw new ApiError("forbidden", `A ${input.kind} export is for ${kind.roles.join(" and ")} accounts.`);
      if (kind.scope && !auth.scopes.has(kind.scope)) {
        throw new ApiError("insufficient_scope", `A ${input.kind} export needs the ${kind.scope} scope.`);
      }
      const errors: FieldError[] = [];
      if (!kind.formats.includes(input.format))
        errors.push({ path: "format", message: `A ${input.kind} export is one of: ${kind.formats.join(", ")}` });
      if (input.byteOrderMark && input.format !== "csv")
        errors.push({ path: "byteOrderMark", message: "Only a CSV file takes a byte-order mark" });
      const params = kind.params.safeParse(input.params);
      if (!params.success) errors.push(...zodIssuesToFieldErrors(params.error.issues).map((e) => ({ ...e, path: `params.${e.path}` })));
      if (errors.length > 0 || !params.success) throw ApiError.validation(errors);

      const requester = { id: auth.userId, role: auth.role };
      const name = await kind.authorize(c.var.db, requester, params.data);
      const db = c.var.db;
      if (
        (await db.$count(dataExports, and(eq(dataExports.ownerId, auth.userId), inArray(dataExports.status, ACTIVE)))) >= MAX_ACTIVE_EXPORTS
      ) {
        throw new ApiError("conflict", `At most ${MAX_ACTIVE_EXPORTS} of your exports may wait or run at once; cancel one or wait for it.`);
      }
      const now = clock.now();
      const id = newId("export", now);
      const job = enqueueStatements(db, "export.run", { exportId: id }, { ownerId: auth.userId, idempotencyKey: `export:${id}` });
      const row: Export = {
        id,
        ownerId: auth.userId,
        kind: input.kind,
        format: input.format,
        params: input.params,
        byteOrderMark: input.byteOrderMark,
        idempotencyKey,
        status: "QUEUED",
        jobId: job.job.id,
        filename: exportFilename(name, id, input.format),
        contentType: EXPORT_FILE_TYPES[input.format].contentType,
        fileKey: null,
        sizeBytes: null,
        rowCount: null,
        error: null,
        createdAt: now,
        startedAt: null,
        completedAt: null,
        expiresAt: null,
        updatedAt: now,
      };
      const event = eventStatements(db, auth.userId, {
        type: "export.created",
        aggregateId: id,
        ownerId: auth.userId,
        data: { exportId: id, ownerId: auth.userId, kind: row.kind, format: row.format },
      });
      try {
        await db.batch([
          db.insert(dataExports).values(row),
          ...job.statements,
          ...event.statements,
          auditInsert(c, { action: "export.created", target: { type: "export", id }, after: auditable(row) }),
        ]);
      } catch (error) {
        // The same key sent twice at once: the other request's export stands.
        const earlier = idempotencyKey && isUniqueViolation(error) ? await replayed(c, idempotencyKey, input) : null;
        if (earlier) return earlier;
        throw error;
      }
      c.executionCtx.waitUntil(Promise.all([job.send(c.env), event.send(c.env)]));
      return c.json(presentExport(row, null), 202, { Location: `/v1/exports/${id}` });
    },
  )
  .get(
    "/",
    describe({ summary: "List your exports", responses: { 200: ["A page of exports, newest first", page(exportSchema)] } }),
    rateLimit({ policy: "api" }),
    useExports,
    validate("query", paginationQuery),
    async (c) => {
      const { limit, cursor } = c.req.valid("query");
      const rows = await exportsWithProgress(c)
        .where(and(eq(dataExports.ownerId, authOf(c).userId), cursor ? lt(dataExports.id, decodeCursor(cursor, idCursor).id) : undefined))
        .orderBy(desc(dataExports.id))
        .limit(limit + 1);
      return c.json(
        toPage(
          rows,
          limit,
          ({ row }) => ({ id: row.id }),
          ({ row, progress }) => presentExport(row, progress),
        ),
      );
    },
  )
  .get(
    "/:id",
    describe({
      summary: "Read an export: status, progress, size, expiry",
      responses: { 200: ["The export", exportSchema] },
      errors: ["not_found"],
    }),
    rateLimit({ policy: "api" }),
    useExports,
    validate("param", exportParam),
    async (c) => {
      const { row, progress } = await visibleExport(c, c.req.valid("param").id);
      c.header("Cache-Control", "no-store");
      return c.json(presentExport(row, progress));
    },
  )
  .post(
    "/:id/download-link",
    describe({
      summary: "Get a download link for a finished export",
      description: "The link is signed and works without credentials for 10 minutes; ask again for a new one.",
      responses: { 201: ["A signed link", downloadLinkSchema] },
      errors: ["not_found", "conflict", "gone"],
    }),
    rateLimit({ policy: "api" }),
    useExports,
    validate("param", exportParam),
    async (c) => {
      const { row } = await visibleExport(c, c.req.valid("param").id);
      const now = clock.now();
      if (row.status === "EXPIRED" || (row.expiresAt !== null && row.expiresAt <= now))
        throw new ApiError("gone", "The export has expired and its file was deleted.");
      if (row.status !== "COMPLETED")
        throw new ApiError("conflict", `The export is ${row.status.toLowerCase()}; a link exists once it has completed.`);
      const link = await signDownloadLink(c.var.config.exports, row.id, now);
      await c.var.db.batch([
        auditInsert(c, {
          action: "export.link_issued",
          target: { type: "export", id: row.id },
          metadata: { expiresAt: new Date(link.expiresAt).toISOString() },
        }),
      ]);
      c.header("Cache-Control", "no-store");
      return c.json({ url: link.url, expiresAt: new Date(link.expiresAt).toISOString() }, 201);
    },
  )
  .get(
    "/:id/download",
    describe({
      summary: "Download an export's file through its signed link",
      description: "Needs no credentials: the link's signature is the proof. A changed or expired link is refused.",
      responses: { 200: fileResponse("The file, as an attachment") },
      errors: ["forbidden", "gone", "not_found"],
    }),
    rateLimit({ policy: "api" }),
    validate("param", exportParam),
    validate("query", downloadQuery),
    async (c) => {
      const { id } = c.req.valid("param");
      const { expires, signature } = c.req.valid("query");
      const now = clock.now();
      const verdict = await verifyDownloadLink(c.var.config.exports.linkSecret, id, expires, signature, now);
      if (verdict === "invalid") throw new ApiError("forbidden", "The download link is not valid.");
      if (verdict === "expired") throw new ApiError("gone", "The download link has expired; ask for a new one.");
      const row = await c.var.db.select().from(dataExports).where(eq(dataExports.id, id)).get();
      if (!row) throw ApiError.notFound("export");
      if (row.status !== "COMPLETED" || !row.fileKey || (row.expiresAt !== null && row.expiresAt <= now)) {
        throw new ApiError("gone", "The export's file is no longer available.");
      }
      const object = await c.env.FILES.get(row.fileKey);
      if (!object) throw new ApiError("gone", "The export's file is no longer available.");
      return new Response(object.body, {
        headers: {
          ...SERVED_FILE_HEADERS,
          "Content-Type": row.contentType,
          "Content-Length": String(object.size),
          "Content-Disposition": attachment(row.filename),
          "Cache-Control": "private, no-store",
          // The link carries its signature: never hand it on as a referrer.
          "Referrer-Policy": "no-referrer",
        },
      });
    },
  )
  .delete(
    "/:id",
    describe({
      summary: "Cancel a waiting or running export, or delete a finished one with its file",
      responses: { 204: "Cancelled or deleted" },
      errors: ["not_found"],
    }),
    rateLimit({ policy: "api" }),
    useExports,
    validate("param", exportParam),
    async (c) => {
      const { row } = await visibleExport(c, c.req.valid("param").id);
      const db = c.var.db;
      const now = clock.now();
      if ((ACTIVE as readonly string[]).includes(row.status)) {
        // A waiting job is cancelled outright; a running one sees the status at its next page and stops.
        await db.batch([
          db
            .update(dataExports)
            .set({ status: "CANCELLED", updatedAt: now })
            .where(and(eq(dataExports.id, row.id), inArray(dataExports.status, ACTIVE))),
          db
            .update(jobs)
            .set({ status: "CANCELLED", finishedAt: now, updatedAt: now })
            .where(and(eq(jobs.id, row.jobId), inArray(jobs.status, ["PENDING", "DELAYED"]))),
          auditInsert(c, { action: "export.cancelled", target: { type: "export", id: row.id }, before: auditable(row) }),
        ]);
        return c.body(null, 204);
      }
      if (row.fileKey) await c.env.FILES.delete(row.fileKey);
      await db.batch([
        db.delete(dataExports).where(eq(dataExports.id, row.id)),
        auditInsert(c, { action: "export.deleted", target: { type: "export", id: row.id }, before: auditable(row) }),
      ]);
      return c.body(null, 204);
    },
  );

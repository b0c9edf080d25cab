import { and, desc, eq, gte, isNotNull, isNull, lt, or, type SQL } from "drizzle-orm";
import { Hono } from "hono";
import { z } from "zod";
import { auditInsert } from "../lib/audit/writer";
import { clock, iso, isoOrNull } from "../lib/clock";
import { ApiError } from "../lib/errors";
import { decodeCursor, DEFAULT_PAGE_SIZE, MAX_PAGE_SIZE, toPage } from "../lib/validation/pagination";
import { plainText } from "../lib/validation/text";
import { validate } from "../lib/validation/validate";
import { authOf, requireScope } from "../middleware/auth";
import { rateLimit } from "../middleware/rate-limit";
import { containsText } from "../db/contains";
import { ERROR_SEVERITIES, errorLogs, type ErrorLog } from "../db/schema";
import type { AppEnv } from "../env";
import { operationsOf } from "../openapi/describe";
import { errorLogDetailSchema, errorLogSchema } from "../openapi/schemas/error-log";
import { page } from "../openapi/schemas/primitives";

const instant = z.iso.datetime({ offset: true }).transform((value) => Date.parse(value));

const errorListQuery = z.strictObject({
  severity: z
    .string()
    .transform((value) => value.toUpperCase())
    .pipe(z.enum(ERROR_SEVERITIES))
    .optional(),
  resolved: z
    .enum(["true", "false"])
    .transform((value) => value === "true")
    .optional(),
  from: instant.optional(),
  to: instant.optional(),
  requestId: z.string().trim().min(1).max(128).optional(),
  clientRequestId: z.string().trim().min(1).max(128).optional(),
  q: plainText({ max: 200 }).optional(),
  limit: z.coerce.number().int().min(1).max(MAX_PAGE_SIZE).default(DEFAULT_PAGE_SIZE),
  cursor: z.string().max(512).optional(),
});

const errorIdParam = z.object({ id: z.string().regex(/^err_[0-9A-HJKMNP-TV-Z]{26}$/, "Not an error id") });
const resolveBody = z.strictObject({ note: plainText({ max: 2000, min: 0, multiline: true }).optional() });
const errorCursor = z.object({ c: z.number().int(), i: z.string().max(64) });

function presentError(row: ErrorLog) {
  return {
    id: row.id,
    severity: row.severity,
    message: row.message,
    errorType: row.errorType,
    errorCode: row.errorCode,
    fingerprint: row.fingerprint,
    occurrences: row.occurrences,
    source: row.source,
    method: row.method,
    path: row.path,
    requestId: row.requestId,
    clientRequestId: row.clientRequestId,
    userId: row.userId,
    firstSeenAt: iso(row.firstSeenAt),
    lastSeenAt: iso(row.lastSeenAt),
    resolved: row.resolvedAt !== null,
    resolvedAt: isoOrNull(row.resolvedAt),
    resolvedBy: row.resolvedBy,
    resolutionNote: row.resolutionNote,
    lastAlertedAt: isoOrNull(row.lastAlertedAt),
  };
}

const presentErrorDetail = (row: ErrorLog) => ({ ...presentError(row), stack: row.stack, headers: row.headers, body: row.body });

const contains = (term: string) =>
  or(
    ...[
      errorLogs.message,
      errorLogs.errorType,
      errorLogs.errorCode,
      errorLogs.path,
      errorLogs.fingerprint,
      errorLogs.requestId,
      errorLogs.clientRequestId,
    ].map((column) => containsText(column, term)),
  );

const describe = operationsOf("Admin: errors");

/** Error tracking for operators: grouped errors, newest activity first, and resolving them. */
export const adminErrorRoutes = new Hono<AppEnv>()
  .get(
    "/",
    describe({ summary: "List tracked errors", responses: { 200: ["A page of errors, most recently seen first", page(errorLogSchema)] } }),
    rateLimit({ policy: "api" }),
    requireScope("admin:read"),
    validate("query", errorListQuery),
    async (c) => {
      const query = c.req.valid("query");
      const after = query.cursor ? decodeCursor(query.cursor, errorCursor) : null;
      const conditions: (SQL | undefined)[] = [
        query.severity ? eq(errorLogs.severity, query.severity) : undefined,
        query.resolved === true ? isNotNull(errorLogs.resolvedAt) : query.resolved === false ? isNull(errorLogs.resolvedAt) : undefined,
        query.from !== undefined ? gte(errorLogs.lastSeenAt, query.from) : undefined,
        query.to !== undefined ? lt(errorLogs.lastSeenAt, query.to) : undefined,
        query.requestId ? eq(errorLogs.requestId, query.requestId) : undefined,
        query.clientRequestId ? eq(errorLogs.clientRequestId, query.clientRequestId) : undefined,
        query.q ? contains(query.q) : undefined,
        after ? or(lt(errorLogs.lastSeenAt, after.c), and(eq(errorLogs.lastSeenAt, after.c), lt(errorLogs.id, after.i))) : undefined,
      ];
      const rows = await c.var.db
        .select()
        .from(errorLogs)
        .where(and(...conditions))
        .orderBy(desc(errorLogs.lastSeenAt), desc(errorLogs.id))
        .limit(query.limit + 1);
      return c.json(toPage(rows, query.limit, (row) => ({ c: row.lastSeenAt, i: row.id }), presentError));
    },
  )

  .get(
    "/:id",
    describe({
      summary: "Read a tracked error with its stack and request",
      responses: { 200: ["The error", errorLogDetailSchema] },
      errors: ["not_found"],
    }),
    rateLimit({ policy: "api" }),
    requireScope("admin:read"),
    validate("param", errorIdParam),
    async (c) => {
      const row = await c.var.db
        .select()
        .from(errorLogs)
        .where(eq(errorLogs.id, c.req.valid("param").id))
        .get();
      if (!row) throw ApiError.notFound("error");
      return c.json({ error: presentErrorDetail(row) });
    },
  )

  .post(
    "/:id/resolve",
    describe({
      summary: "Resolve a tracked error",
      responses: { 200: ["The resolved error", errorLogDetailSchema] },
      errors: ["not_found", "conflict"],
    }),
    rateLimit({ policy: "api" }),
    requireScope("admin:write"),
    validate("param", errorIdParam),
    validate("json", resolveBody),
    async (c) => {
      const { id } = c.req.valid("param");
      const { note } = c.req.valid("json");
      const db = c.var.db;
      const before = await db.select().from(errorLogs).where(eq(errorLogs.id, id)).get();
      if (!before) throw ApiError.notFound("error");
      if (before.resolvedAt !== null)
        throw new ApiError("conflict", "This error is already resolved; it reopens by itself if it happens again.");
      const now = clock.now();
      const resolvedBy = authOf(c).userId;
      const change = { resolvedAt: now, resolvedBy, resolutionNote: note ?? null };
      // Guarded on "still unresolved" so two admins resolving at once produce one resolution.
      const [updated] = await db.batch([
        db
          .update(errorLogs)
          .set(change)
          .where(and(eq(errorLogs.id, id), isNull(errorLogs.resolvedAt)))
          .returning(),
        auditInsert(c, {
          action: "error.resolved",
          target: { type: "error", id },
          before: { resolvedAt: null, resolvedBy: null, resolutionNote: before.resolutionNote },
          after: change,
          metadata: { fingerprint: before.fingerprint, occurrences: before.occurrences },
        }),
      ]);
      const row = updated[0];
      if (!row) throw new ApiError("conflict", "This error was resolved by someone else just now.");
      return c.json({ error: presentErrorDetail(row) });
    },
  );

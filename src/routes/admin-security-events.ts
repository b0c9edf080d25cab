import { and, desc, eq, gte, lt, lte, or, sql } from "drizzle-orm";
import { Hono } from "hono";
import { auditEntry } from "../lib/audit/writer";
import { clock, iso } from "../lib/clock";
import { ApiError } from "../lib/errors";
import { guardedInsert } from "../lib/guarded-insert";
import { decodeCursor, toPage } from "../lib/validation/pagination";
import { securityEventCursor, securityEventIdParam, securityEventListQuery, securityEventPatch } from "../lib/validation/security-events";
import { validate } from "../lib/validation/validate";
import { authOf, requireScope } from "../middleware/auth";
import { rateLimit } from "../middleware/rate-limit";
import { auditLogs, securityEvents, type SecurityEvent, type SecurityEventStatus } from "../db/schema";
import type { AppEnv } from "../env";
import { operationsOf } from "../openapi/describe";
import { page } from "../openapi/schemas/primitives";
import { securityEventDetailSchema, securityEventSchema } from "../openapi/schemas/security-event";

const describe = operationsOf("Admin: security events");

/** Which triage moves are allowed from each state: closed events can be reopened for investigation. */
const TRANSITIONS: Record<SecurityEventStatus, readonly SecurityEventStatus[]> = {
  OPEN: ["INVESTIGATING", "RESOLVED", "FALSE_POSITIVE"],
  INVESTIGATING: ["RESOLVED", "FALSE_POSITIVE"],
  RESOLVED: ["INVESTIGATING"],
  FALSE_POSITIVE: ["INVESTIGATING"],
};

function presentSecurityEvent(row: SecurityEvent) {
  return {
    id: row.id,
    type: row.type,
    severity: row.severity,
    status: row.status,
    actorId: row.actorId,
    apiKeyId: row.apiKeyId,
    ip: row.ip,
    userAgent: row.userAgent,
    location: { country: row.country, city: row.city, latitude: row.latitude, longitude: row.longitude },
    requestId: row.requestId,
    details: row.details ?? {},
    resolutionNote: row.resolutionNote,
    updatedBy: row.updatedBy,
    createdAt: iso(row.createdAt),
    updatedAt: iso(row.updatedAt),
  };
}

export const adminSecurityEventRoutes = new Hono<AppEnv>()
  .use("*", rateLimit({ policy: "api" }))

  .get(
    "/",
    describe({ summary: "List security events", responses: { 200: ["A page of events, newest first", page(securityEventSchema)] } }),
    requireScope("admin:read"),
    validate("query", securityEventListQuery),
    async (c) => {
      const query = c.req.valid("query");
      const cursor = query.cursor ? decodeCursor(query.cursor, securityEventCursor) : null;
      const rows = await c.var.db
        .select()
        .from(securityEvents)
        .where(
          and(
            query.type ? eq(securityEvents.type, query.type) : undefined,
            query.severity ? eq(securityEvents.severity, query.severity) : undefined,
            query.status ? eq(securityEvents.status, query.status) : undefined,
            query.actorId ? eq(securityEvents.actorId, query.actorId) : undefined,
            query.ip ? eq(securityEvents.ip, query.ip) : undefined,
            query.from ? gte(securityEvents.createdAt, Date.parse(query.from)) : undefined,
            query.to ? lte(securityEvents.createdAt, Date.parse(query.to)) : undefined,
            cursor
              ? or(lt(securityEvents.createdAt, cursor.t), and(eq(securityEvents.createdAt, cursor.t), lt(securityEvents.id, cursor.id)))
              : undefined,
          ),
        )
        .orderBy(desc(securityEvents.createdAt), desc(securityEvents.id))
        .limit(query.limit + 1);
      return c.json(toPage(rows, query.limit, (row) => ({ t: row.createdAt, id: row.id }), presentSecurityEvent));
    },
  )

  /** One event with its triage history (from the audit trail: who changed it, when, to what). */
  .get(
    "/:id",
    describe({
      summary: "Read a security event with its history",
      responses: { 200: ["The event", securityEventDetailSchema] },
      errors: ["not_found"],
    }),
    requireScope("admin:read"),
    validate("param", securityEventIdParam),
    async (c) => {
      const { id } = c.req.valid("param");
      const db = c.var.db;
      const row = await db.select().from(securityEvents).where(eq(securityEvents.id, id)).get();
      if (!row) throw ApiError.notFound("security event");
      const history = await db
        .select()
        .from(auditLogs)
        .where(and(eq(auditLogs.targetType, "security_event"), eq(auditLogs.targetId, id), eq(auditLogs.action, "security_event.updated")))
        .orderBy(auditLogs.createdAt, auditLogs.id)
        .limit(100);
      return c.json({
        ...presentSecurityEvent(row),
        history: history.map((entry) => ({
          at: iso(entry.createdAt),
          by: entry.actorId,
          from: entry.changes?.before?.status ?? null,
          to: entry.changes?.after?.status ?? null,
          note: (entry.metadata?.note as string | undefined) ?? null,
        })),
      });
    },
  )

  /**
   * Triage: move the event to INVESTIGATING, RESOLVED or FALSE_POSITIVE with a note. The update is
   * conditional on the status read, and its audit row is inserted under the same condition in the
   * same batch, so two admins racing cannot both win or leave a row without its audit entry.
   */
  .patch(
    "/:id",
    describe({
      summary: "Move a security event through its workflow",
      responses: { 200: ["The event", securityEventSchema] },
      errors: ["not_found", "conflict"],
    }),
    requireScope("admin:write"),
    validate("param", securityEventIdParam),
    validate("json", securityEventPatch),
    async (c) => {
      const { id } = c.req.valid("param");
      const { status, note } = c.req.valid("json");
      const db = c.var.db;
      const before = await db.select().from(securityEvents).where(eq(securityEvents.id, id)).get();
      if (!before) throw ApiError.notFound("security event");
      if (!TRANSITIONS[before.status].includes(status)) {
        throw new ApiError("conflict", `The event is ${before.status}; it cannot move to ${status}.`, {
          extensions: { currentStatus: before.status, allowed: TRANSITIONS[before.status] },
        });
      }
      const actorId = authOf(c).userId;
      const now = clock.now();
      const unchanged = sql`exists (select 1 from ${securityEvents} where ${securityEvents.id} = ${id} and ${securityEvents.status} = ${before.status})`;
      const [, updated] = await db.batch([
        guardedInsert(
          db,
          auditLogs,
          auditEntry(c, {
            action: "security_event.updated",
            target: { type: "security_event", id },
            before: { status: before.status, resolutionNote: before.resolutionNote },
            after: { status, resolutionNote: note },
            metadata: { note, type: before.type, severity: before.severity },
          }),
          unchanged,
        ),
        db
          .update(securityEvents)
          .set({ status, resolutionNote: note, updatedBy: actorId, updatedAt: now })
          .where(and(eq(securityEvents.id, id), eq(securityEvents.status, before.status)))
          .returning(),
      ]);
      const row = updated[0];
      if (!row) throw new ApiError("conflict", "The event was changed by someone else meanwhile; reload it and try again.");
      return c.json(presentSecurityEvent(row));
    },
  );

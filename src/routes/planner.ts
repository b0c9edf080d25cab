import { and, desc, eq, gte, inArray, isNotNull, lt, lte, sql, type SQL } from "drizzle-orm";
import { Hono, type Context } from "hono";
import { auditInsert } from "../lib/audit/writer";
import { clock, iso, isoOrNull } from "../lib/clock";
import { ApiError } from "../lib/errors";
import { caller } from "../lib/exam/access";
import { newId } from "../lib/ids";
import { decodeCursor, idCursor, paginationQuery, toPage } from "../lib/validation/pagination";
import { goalInput, goalPatch, MAX_SESSION_HOURS, sessionInput, sessionListQuery, sessionPatch } from "../lib/validation/planner";
import { validate } from "../lib/validation/validate";
import { requireScope } from "../middleware/auth";
import { rateLimit } from "../middleware/rate-limit";
import { studyGoals, studySessions, type StudyGoal, type StudySession } from "../db/schema";
import type { AppEnv } from "../env";
import { operationsOf } from "../openapi/describe";
import { studyGoalSchema, studySessionSchema } from "../openapi/schemas/planner";
import { page } from "../openapi/schemas/primitives";

const HOUR_MS = 3_600_000;
const round2 = (n: number) => Math.round(n * 100) / 100;

const describe = operationsOf("Planner");

/** Hours logged per goal: finished sessions only (a running session has no end yet). */
async function hoursByGoal(c: Context<AppEnv>, goalIds: string[]): Promise<Map<string, { hours: number; sessions: number }>> {
  const totals = new Map<string, { hours: number; sessions: number }>();
  // D1 binds at most 100 parameters per statement: a full page of goal ids goes in chunks.
  for (let i = 0; i < goalIds.length; i += 90) {
    const rows = await c.var.db
      .select({
        goalId: studySessions.goalId,
        ms: sql<number>`sum(${studySessions.endedAt} - ${studySessions.startedAt})`,
        sessions: sql<number>`count(*)`,
      })
      .from(studySessions)
      .where(
        and(
          inArray(studySessions.goalId, goalIds.slice(i, i + 90)),
          isNotNull(studySessions.endedAt),
          eq(studySessions.userId, caller(c).userId),
        ),
      )
      .groupBy(studySessions.goalId);
    for (const row of rows) totals.set(row.goalId!, { hours: round2(Number(row.ms) / HOUR_MS), sessions: Number(row.sessions) });
  }
  return totals;
}

function presentGoal(goal: StudyGoal, logged: { hours: number; sessions: number } = { hours: 0, sessions: 0 }) {
  return {
    id: goal.id,
    title: goal.title,
    subject: goal.subject,
    targetDate: iso(goal.targetDate),
    targetHours: goal.targetHours,
    progress: {
      hoursLogged: logged.hours,
      sessions: logged.sessions,
      targetHours: goal.targetHours,
      percent: Math.min(100, round2((logged.hours / goal.targetHours) * 100)),
      achieved: logged.hours >= goal.targetHours,
    },
    createdAt: iso(goal.createdAt),
    updatedAt: iso(goal.updatedAt),
  };
}

function presentSession(session: StudySession) {
  return {
    id: session.id,
    goalId: session.goalId,
    subject: session.subject,
    startedAt: iso(session.startedAt),
    endedAt: isoOrNull(session.endedAt),
    durationMinutes: session.endedAt == null ? null : Math.round((session.endedAt - session.startedAt) / 60_000),
    notes: session.notes,
    createdAt: iso(session.createdAt),
  };
}

async function findOwnGoal(c: Context<AppEnv>, id: string): Promise<StudyGoal> {
  const goal = await c.var.db.query.studyGoals.findFirst({ where: and(eq(studyGoals.id, id), eq(studyGoals.userId, caller(c).userId)) });
  if (!goal) throw ApiError.notFound("goal");
  return goal;
}

async function findOwnSession(c: Context<AppEnv>, id: string): Promise<StudySession> {
  const session = await c.var.db.query.studySessions.findFirst({
    where: and(eq(studySessions.id, id), eq(studySessions.userId, caller(c).userId)),
  });
  if (!session) throw ApiError.notFound("session");
  return session;
}

/** A goal id in a session body must name one of the caller's goals; someone else's reads as missing. */
async function checkGoalRef(c: Context<AppEnv>, goalId: string | null | undefined) {
  if (!goalId) return;
  const goal = await c.var.db.query.studyGoals.findFirst({
    where: and(eq(studyGoals.id, goalId), eq(studyGoals.userId, caller(c).userId)),
  });
  if (!goal) throw ApiError.validation([{ path: "goalId", message: "No such goal" }]);
}

function checkSpan(startedAt: number, endedAt: number | null) {
  if (endedAt == null) return;
  if (endedAt <= startedAt) throw ApiError.validation([{ path: "endedAt", message: "endedAt must be after startedAt" }]);
  if (endedAt - startedAt > MAX_SESSION_HOURS * HOUR_MS) {
    throw ApiError.validation([{ path: "endedAt", message: `A session lasts at most ${MAX_SESSION_HOURS} hours` }]);
  }
}

/** Study goals and sessions are private to their owner; nobody else, admins included, reads them here. */
export const plannerRoutes = new Hono<AppEnv>()
  .use("*", rateLimit({ policy: "api" }))
  .post(
    "/goals",
    describe({ summary: "Create a study goal", responses: { 201: ["The goal", studyGoalSchema] } }),
    requireScope("planner:write"),
    validate("json", goalInput),
    async (c) => {
      const input = c.req.valid("json");
      const now = clock.now();
      const goal: StudyGoal = {
        id: newId("goal", now),
        userId: caller(c).userId,
        title: input.title,
        subject: input.subject ?? null,
        targetDate: Date.parse(input.targetDate),
        targetHours: input.targetHours,
        createdAt: now,
        updatedAt: now,
      };
      await c.var.db.batch([
        c.var.db.insert(studyGoals).values(goal),
        auditInsert(c, { action: "planner.goal_created", target: { type: "study_goal", id: goal.id }, after: goal }),
      ]);
      return c.json(presentGoal(goal), 201, { Location: `/v1/planner/goals/${goal.id}` });
    },
  )
  .get(
    "/goals",
    describe({
      summary: "List your study goals with their progress",
      responses: { 200: ["A page of goals, newest first", page(studyGoalSchema)] },
    }),
    requireScope("planner:read"),
    validate("query", paginationQuery),
    async (c) => {
      const { limit, cursor } = c.req.valid("query");
      const rows = await c.var.db
        .select()
        .from(studyGoals)
        .where(and(eq(studyGoals.userId, caller(c).userId), cursor ? lt(studyGoals.id, decodeCursor(cursor, idCursor).id) : undefined))
        .orderBy(desc(studyGoals.id))
        .limit(limit + 1);
      const totals = await hoursByGoal(
        c,
        rows.slice(0, limit).map((row) => row.id),
      );
      return c.json(
        toPage(
          rows,
          limit,
          (row) => ({ id: row.id }),
          (row) => presentGoal(row, totals.get(row.id)),
        ),
      );
    },
  )
  .get(
    "/goals/:id",
    describe({ summary: "Read a study goal", responses: { 200: ["The goal", studyGoalSchema] }, errors: ["not_found"] }),
    requireScope("planner:read"),
    async (c) => {
      const goal = await findOwnGoal(c, c.req.param("id"));
      return c.json(presentGoal(goal, (await hoursByGoal(c, [goal.id])).get(goal.id)));
    },
  )
  .patch(
    "/goals/:id",
    describe({ summary: "Edit a study goal", responses: { 200: ["The goal", studyGoalSchema] }, errors: ["not_found"] }),
    requireScope("planner:write"),
    validate("json", goalPatch),
    async (c) => {
      const goal = await findOwnGoal(c, c.req.param("id"));
      const patch = c.req.valid("json");
      const updated: StudyGoal = {
        ...goal,
        ...(patch.title !== undefined ? { title: patch.title } : {}),
        ...(patch.subject !== undefined ? { subject: patch.subject ?? null } : {}),
        ...(patch.targetDate !== undefined ? { targetDate: Date.parse(patch.targetDate) } : {}),
        ...(patch.targetHours !== undefined ? { targetHours: patch.targetHours } : {}),
        updatedAt: clock.now(),
      };
      await c.var.db.batch([
        c.var.db.update(studyGoals).set(updated).where(eq(studyGoals.id, goal.id)),
        auditInsert(c, { action: "planner.goal_updated", target: { type: "study_goal", id: goal.id }, before: goal, after: updated }),
      ]);
      return c.json(presentGoal(updated, (await hoursByGoal(c, [goal.id])).get(goal.id)));
    },
  )
  .delete(
    "/goals/:id",
    describe({ summary: "Delete a study goal", responses: { 204: "Deleted" }, errors: ["not_found"] }),
    requireScope("planner:write"),
    async (c) => {
      const goal = await findOwnGoal(c, c.req.param("id"));
      // Sessions stay (their goal link is cleared by the foreign key): the time was still studied.
      await c.var.db.batch([
        c.var.db.delete(studyGoals).where(eq(studyGoals.id, goal.id)),
        auditInsert(c, { action: "planner.goal_deleted", target: { type: "study_goal", id: goal.id }, before: goal }),
      ]);
      return c.body(null, 204);
    },
  )
  .post(
    "/sessions",
    describe({ summary: "Log a study session", responses: { 201: ["The session", studySessionSchema] } }),
    requireScope("planner:write"),
    validate("json", sessionInput),
    async (c) => {
      const input = c.req.valid("json");
      await checkGoalRef(c, input.goalId);
      const now = clock.now();
      const session: StudySession = {
        id: newId("studySession", now),
        userId: caller(c).userId,
        goalId: input.goalId ?? null,
        subject: input.subject ?? null,
        startedAt: Date.parse(input.startedAt),
        endedAt: input.endedAt ? Date.parse(input.endedAt) : null,
        notes: input.notes ?? null,
        createdAt: now,
      };
      await c.var.db.batch([
        c.var.db.insert(studySessions).values(session),
        auditInsert(c, { action: "planner.session_created", target: { type: "study_session", id: session.id }, after: session }),
      ]);
      return c.json(presentSession(session), 201, { Location: `/v1/planner/sessions/${session.id}` });
    },
  )
  .get(
    "/sessions",
    describe({ summary: "List your study sessions", responses: { 200: ["A page of sessions, newest first", page(studySessionSchema)] } }),
    requireScope("planner:read"),
    validate("query", sessionListQuery),
    async (c) => {
      const query = c.req.valid("query");
      const filters: (SQL | undefined)[] = [eq(studySessions.userId, caller(c).userId)];
      if (query.goalId) filters.push(eq(studySessions.goalId, query.goalId));
      if (query.from) filters.push(gte(studySessions.startedAt, Date.parse(query.from)));
      if (query.to) filters.push(lte(studySessions.startedAt, Date.parse(query.to)));
      if (query.cursor) filters.push(lt(studySessions.id, decodeCursor(query.cursor, idCursor).id));
      const rows = await c.var.db
        .select()
        .from(studySessions)
        .where(and(...filters))
        .orderBy(desc(studySessions.id))
        .limit(query.limit + 1);
      return c.json(toPage(rows, query.limit, (row) => ({ id: row.id }), presentSession));
    },
  )
  .get(
    "/sessions/:id",
    describe({ summary: "Read a study session", responses: { 200: ["The session", studySessionSchema] }, errors: ["not_found"] }),
    requireScope("planner:read"),
    async (c) => {
      return c.json(presentSession(await findOwnSession(c, c.req.param("id"))));
    },
  )
  .patch(
    "/sessions/:id",
    describe({ summary: "Edit a study session", responses: { 200: ["The session", studySessionSchema] }, errors: ["not_found"] }),
    requireScope("planner:write"),
    validate("json", sessionPatch),
    async (c) => {
      const session = await findOwnSession(c, c.req.param("id"));
      const patch = c.req.valid("json");
      if (patch.goalId !== undefined) await checkGoalRef(c, patch.goalId);
      const updated: StudySession = {
        ...session,
        ...(patch.startedAt !== undefined ? { startedAt: Date.parse(patch.startedAt) } : {}),
        ...(patch.endedAt !== undefined ? { endedAt: patch.endedAt === null ? null : Date.parse(patch.endedAt) } : {}),
        ...(patch.subject !== undefined ? { subject: patch.subject } : {}),
        ...(patch.notes !== undefined ? { notes: patch.notes } : {}),
        ...(patch.goalId !== undefined ? { goalId: patch.goalId } : {}),
      };
      checkSpan(updated.startedAt, updated.endedAt);
      await c.var.db.batch([
        c.var.db.update(studySessions).set(updated).where(eq(studySessions.id, session.id)),
        auditInsert(c, {
          action: "planner.session_updated",
          target: { type: "study_session", id: session.id },
          before: session,
          after: updated,
        }),
      ]);
      return c.json(presentSession(updated));
    },
  )
  .delete(
    "/sessions/:id",
    describe({ summary: "Delete a study session", responses: { 204: "Deleted" }, errors: ["not_found"] }),
    requireScope("planner:write"),
    async (c) => {
      const session = await findOwnSession(c, c.req.param("id"));
      await c.var.db.batch([
        c.var.db.delete(studySessions).where(eq(studySessions.id, session.id)),
        auditInsert(c, { action: "planner.session_deleted", target: { type: "study_session", id: session.id }, before: session }),
      ]);
      return c.body(null, 204);
    },
  );

import { and, desc, eq, isNull, lt, type SQL } from "drizzle-orm";
import { Hono, type Context } from "hono";
import { auditInsert } from "../lib/audit/writer";
import type { AuthContext } from "../lib/auth/context";
import { cache, cacheContext, cacheKey, invalidationStatement } from "../lib/cache";
import { clock, iso } from "../lib/clock";
import { ApiError } from "../lib/errors";
import { eventStatements } from "../lib/events/emit";
import { caller, canManage, isAdmin } from "../lib/exam/access";
import { EXAM_CACHE_TTL_MS, TEST_LIST_TAG, testTag } from "../lib/exam/cache-keys";
import {
  checkQuestionRefs,
  forCandidate,
  loadSections,
  presentTest,
  presentTestSummary,
  sectionStatements,
  testView,
} from "../lib/exam/tests";
import { newId } from "../lib/ids";
import { sanitizeRichText } from "../lib/security/sanitize";
import { decodeCursor, idCursor, toPage } from "../lib/validation/pagination";
import { testInput, testListQuery, testPatch, type SectionInput } from "../lib/validation/tests";
import { validate } from "../lib/validation/validate";
import { requireRole, requireScope } from "../middleware/auth";
import { rateLimit } from "../middleware/rate-limit";
import { attempts, tests, testSections, type Test } from "../db/schema";
import type { AppEnv } from "../env";
import { operationsOf } from "../openapi/describe";
import { page } from "../openapi/schemas/primitives";
import { testSchema, testSummarySchema } from "../openapi/schemas/test";

const manageTests = [requireScope("tests:write"), requireRole("instructor", "admin")] as const;

const cleanDescription = (text: string | null | undefined) => (text ? sanitizeRichText(text) || null : null);

async function checkRefsOrThrow(c: Context<AppEnv>, sections: SectionInput[]) {
  const errors = await checkQuestionRefs(c.var.db, caller(c), sections);
  if (errors.length > 0) throw ApiError.validation(errors, "Invalid body.");
}

const describe = operationsOf("Tests");

/**
 * Which tests a caller lists: students browse what is published, instructors manage their own, admins
 * see everything. `key` names the view in the list's cache key; callers with the same key see the same list.
 */
function listScope(auth: AuthContext): { key: string; filter: SQL | undefined } {
  if (auth.role === "student") return { key: "published", filter: eq(tests.published, true) };
  if (isAdmin(auth)) return { key: "all", filter: undefined };
  return { key: `author:${auth.userId}`, filter: eq(tests.authorId, auth.userId) };
}

/** `test.published` for the change's batch, when it makes an unpublished test public (create, patch or publish). */
function publishedEvent(c: Context<AppEnv>, test: Pick<Test, "id" | "authorId" | "title">, now: number) {
  return eventStatements(
    c.var.db,
    caller(c).userId,
    {
      type: "test.published",
      aggregateId: test.id,
      ownerId: test.authorId,
      data: { testId: test.id, authorId: test.authorId, title: test.title, publishedAt: iso(now) },
    },
    now,
  );
}

/** `test.created` / `test.updated` / `test.deleted` for the change's batch (search indexing and webhooks follow them). */
function changeEvent(
  c: Context<AppEnv>,
  type: "test.created" | "test.updated" | "test.deleted",
  test: Pick<Test, "id" | "authorId" | "title" | "published">,
  now: number,
) {
  const about = { aggregateId: test.id, ownerId: test.authorId };
  const actor = caller(c).userId;
  if (type === "test.deleted") {
    return eventStatements(c.var.db, actor, { type, ...about, data: { testId: test.id, authorId: test.authorId } }, now);
  }
  const data = { testId: test.id, authorId: test.authorId, title: test.title, published: test.published };
  return eventStatements(c.var.db, actor, { type, ...about, data }, now);
}

/** A live test the caller manages, or 404. */
async function findManagedTest(c: Context<AppEnv>, id: string): Promise<Test> {
  const test = await c.var.db.query.tests.findFirst({ where: and(eq(tests.id, id), isNull(tests.deletedAt)) });
  if (!test || !canManage(caller(c), test.authorId)) throw ApiError.notFound("test");
  return test;
}

export const testRoutes = new Hono<AppEnv>()
  // Also covers /v1/tests/:id/attempts and /v1/tests/:id/analytics, mounted after this group (routes/index.ts).
  .use("*", rateLimit({ policy: "api" }))
  .post(
    "/",
    describe({ summary: "Create a test", responses: { 201: ["The test", testSchema] } }),
    ...manageTests,
    validate("json", testInput),
    async (c) => {
      const auth = caller(c);
      const input = c.req.valid("json");
      await checkRefsOrThrow(c, input.sections);
      const now = clock.now();
      const test = {
        id: newId("test", now),
        authorId: auth.userId,
        title: input.title,
        description: cleanDescription(input.description),
        durationMinutes: input.durationMinutes,
        msqScoring: input.msqScoring,
        autoAcceptAiGrades: input.autoAcceptAiGrades,
        allowHints: input.allowHints,
        hintPenalty: input.hintPenalty,
        published: input.published,
        publishedAt: input.published ? now : null,
        createdAt: now,
        updatedAt: now,
      };
      const db = c.var.db;
      const published = test.published ? publishedEvent(c, test, now) : null;
      const created = changeEvent(c, "test.created", test, now);
      const [bumped] = await db.batch([
        invalidationStatement(db, [TEST_LIST_TAG]),
        db.insert(tests).values(test),
        ...sectionStatements(db, test.id, input.sections, now),
        ...created.statements,
        ...(published?.statements ?? []),
        auditInsert(c, {
          action: "test.created",
          target: { type: "test", id: test.id },
          after: { title: test.title, published: test.published, questionCount: input.sections.flatMap((s) => s.questionIds).length },
        }),
      ]);
      cache.tagsInvalidated(bumped);
      c.executionCtx.waitUntil(Promise.all([created.send(c.env), published?.send(c.env)]));
      const row = (await db.query.tests.findFirst({ where: eq(tests.id, test.id) }))!;
      return c.json(presentTest(row, await loadSections(db, test.id)), 201, { Location: `/v1/tests/${test.id}` });
    },
  )
  .get(
    "/",
    describe({
      summary: "List tests",
      description: "Students see published tests; instructors their own; admins all.",
      responses: { 200: ["A page of tests, newest first", page(testSummarySchema)] },
    }),
    requireScope("tests:read"),
    validate("query", testListQuery),
    async (c) => {
      const scope = listScope(caller(c));
      const query = c.req.valid("query");
      const after = query.cursor ? decodeCursor(query.cursor, idCursor).id : undefined;
      const key = cacheKey("tests:list", { scope: scope.key, published: query.published, after, limit: query.limit });
      const page = await cache.getOrSet(cacheContext(c), key, { ttlMs: EXAM_CACHE_TTL_MS, tags: [TEST_LIST_TAG] }, async () => {
        const filters: (SQL | undefined)[] = [isNull(tests.deletedAt), scope.filter];
        if (query.published) filters.push(eq(tests.published, query.published === "true"));
        if (after) filters.push(lt(tests.id, after));
        const rows = await c.var.db
          .select()
          .from(tests)
          .where(and(...filters))
          .orderBy(desc(tests.id))
          .limit(query.limit + 1);
        return toPage(rows, query.limit, (row) => ({ id: row.id }), presentTestSummary);
      });
      return c.json(page);
    },
  )
  .get(
    "/:id",
    describe({
      summary: "Read a test",
      description: "Its managers see each section's question ids; candidates see a published test without them.",
      responses: { 200: ["The test", testSchema] },
      errors: ["not_found"],
    }),
    requireScope("tests:read"),
    async (c) => {
      const auth = caller(c);
      const test = await testView(cacheContext(c), c.req.param("id"));
      const manager = canManage(auth, test.authorId);
      if (!manager && !test.published) throw ApiError.notFound("test");
      return c.json(manager ? test : forCandidate(test));
    },
  )
  .patch(
    "/:id",
    describe({ summary: "Edit a test", responses: { 200: ["The test", testSchema] }, errors: ["not_found", "conflict"] }),
    ...manageTests,
    validate("json", testPatch),
    async (c) => {
      const existing = await findManagedTest(c, c.req.param("id"));
      const patch = c.req.valid("json");
      const db = c.var.db;
      if (patch.sections) {
        await checkRefsOrThrow(c, patch.sections);
        const started = await db.select({ id: attempts.id }).from(attempts).where(eq(attempts.testId, existing.id)).limit(1);
        if (started.length > 0) {
          throw new ApiError("conflict", "The test has attempts; its sections can no longer change. Create a new test instead.");
        }
      }
      const now = clock.now();
      const changes: Partial<Test> = { updatedAt: now };
      if (patch.title !== undefined) changes.title = patch.title;
      if (patch.description !== undefined) changes.description = cleanDescription(patch.description);
      if (patch.durationMinutes !== undefined) changes.durationMinutes = patch.durationMinutes;
      if (patch.msqScoring !== undefined) changes.msqScoring = patch.msqScoring;
      if (patch.autoAcceptAiGrades !== undefined) changes.autoAcceptAiGrades = patch.autoAcceptAiGrades;
      if (patch.allowHints !== undefined) changes.allowHints = patch.allowHints;
      if (patch.hintPenalty !== undefined) changes.hintPenalty = patch.hintPenalty;
      if (patch.published !== undefined) {
        changes.published = patch.published;
        changes.publishedAt = patch.published ? (existing.publishedAt ?? now) : null;
      }
      const published = changes.published && !existing.published ? publishedEvent(c, { ...existing, ...changes }, now) : null;
      const updatedEvent = changeEvent(c, "test.updated", { ...existing, ...changes }, now);
      const [bumped] = await db.batch([
        invalidationStatement(db, [TEST_LIST_TAG, testTag(existing.id)]),
        db.update(tests).set(changes).where(eq(tests.id, existing.id)),
        ...updatedEvent.statements,
        ...(published?.statements ?? []),
        ...(patch.sections
          ? [
              db.delete(testSections).where(eq(testSections.testId, existing.id)),
              ...sectionStatements(db, existing.id, patch.sections, now),
            ]
          : []),
        auditInsert(c, {
          action: "test.updated",
          target: { type: "test", id: existing.id },
          before: { ...existing, updatedAt: undefined },
          after: { ...existing, ...changes, updatedAt: undefined },
          metadata: patch.sections ? { sectionsReplaced: patch.sections.length } : undefined,
        }),
      ]);
      cache.tagsInvalidated(bumped);
      c.executionCtx.waitUntil(Promise.all([updatedEvent.send(c.env), published?.send(c.env)]));
      const updated = (await db.query.tests.findFirst({ where: eq(tests.id, existing.id) }))!;
      return c.json(presentTest(updated, await loadSections(db, existing.id)));
    },
  )
  .post(
    "/:id/publish",
    describe({ summary: "Publish a test", responses: { 200: ["The published test", testSchema] }, errors: ["not_found"] }),
    ...manageTests,
    async (c) => {
      const existing = await findManagedTest(c, c.req.param("id"));
      const db = c.var.db;
      if (!existing.published) {
        const now = clock.now();
        const published = publishedEvent(c, existing, now);
        const [bumped] = await db.batch([
          invalidationStatement(db, [TEST_LIST_TAG, testTag(existing.id)]),
          db.update(tests).set({ published: true, publishedAt: now, updatedAt: now }).where(eq(tests.id, existing.id)),
          auditInsert(c, { action: "test.published", target: { type: "test", id: existing.id } }),
          ...published.statements,
        ]);
        cache.tagsInvalidated(bumped);
        c.executionCtx.waitUntil(published.send(c.env));
      }
      const updated = (await db.query.tests.findFirst({ where: eq(tests.id, existing.id) }))!;
      return c.json(presentTest(updated, await loadSections(db, existing.id)));
    },
  )
  .delete(
    "/:id",
    describe({ summary: "Delete a test", responses: { 204: "Deleted" }, errors: ["not_found"] }),
    ...manageTests,
    async (c) => {
      const existing = await findManagedTest(c, c.req.param("id"));
      const now = clock.now();
      const db = c.var.db;
      const deleted = changeEvent(c, "test.deleted", existing, now);
      const [bumped] = await db.batch([
        invalidationStatement(db, [TEST_LIST_TAG, testTag(existing.id)]),
        db.update(tests).set({ deletedAt: now, updatedAt: now }).where(eq(tests.id, existing.id)),
        auditInsert(c, { action: "test.deleted", target: { type: "test", id: existing.id } }),
        ...deleted.statements,
      ]);
      cache.tagsInvalidated(bumped);
      c.executionCtx.waitUntil(deleted.send(c.env));
      return c.body(null, 204);
    },
  );

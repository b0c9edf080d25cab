import { and, desc, eq, isNull, lt, type SQL } from "drizzle-orm";
import { Hono, type Context } from "hono";
import { auditInsert } from "../lib/audit/writer";
import { clock, iso } from "../lib/clock";
import { ApiError } from "../lib/errors";
import { eventStatements } from "../lib/events/emit";
import { caller, canManage, isAdmin } from "../lib/exam/access";
import { checkQuestionRefs, loadSections, presentTest, presentTestSummary, sectionStatements } from "../lib/exam/tests";
import { newId } from "../lib/ids";
import { sanitizeRichText } from "../lib/security/sanitize";
import { decodeCursor, idCursor, toPage } from "../lib/validation/pagination";
import { testInput, testListQuery, testPatch, type SectionInput } from "../lib/validation/tests";
import { validate } from "../lib/validation/validate";
import { requireRole, requireScope } from "../middleware/auth";
import { rateLimit } from "../middleware/rate-limit";
import { attempts, tests, testSections, type Test } from "../db/schema";
import type { AppEnv } from "../env";

const manageTests = [requireScope("tests:write"), requireRole("instructor", "admin")] as const;

const cleanDescription = (text: string | null | undefined) => (text ? sanitizeRichText(text) || null : null);

async function checkRefsOrThrow(c: Context<AppEnv>, sections: SectionInput[]) {
  const errors = await checkQuestionRefs(c.var.db, caller(c), sections);
  if (errors.length > 0) throw ApiError.validation(errors, "Invalid body.");
}

/** `test.published` for the change's batch, when it makes an unpublished test public (create, patch or publish). */
function publishedEvent(c: Context<AppEnv>, test: Pick<Test, "id" | "authorId" | "title">, now: number) {
  return eventStatements(c.var.db, caller(c).userId, {
    type: "test.published",
    aggregateId: test.id,
    ownerId: test.authorId,
    data: { testId: test.id, authorId: test.authorId, title: test.title, publishedAt: iso(now) },
  }, now);
}

/** A live test the caller manages, or 404. */
async function findManagedTest(c: Context<AppEnv>, id: string): Promise<Test> {
  const test = await c.var.db.query.tests.findFirst({ where: and(eq(tests.id, id), isNull(tests.deletedAt)) });
  if (!test || !canManage(caller(c), test.authorId)) throw ApiError.notFound("test");
  return test;
}

export const testRoutes = new Hono<AppEnv>()
  // Also covers POST /v1/tests/:id/attempts (attempts.ts): middleware applies by path across groups.
  .use("/v1/tests/*", rateLimit({ policy: "api" }))
  .post("/v1/tests", ...manageTests, validate("json", testInput), async (c) => {
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
      published: input.published,
      publishedAt: input.published ? now : null,
      createdAt: now,
      updatedAt: now,
    };
    const db = c.var.db;
    const published = test.published ? publishedEvent(c, test, now) : null;
    await db.batch([
      db.insert(tests).values(test),
      ...sectionStatements(db, test.id, input.sections, now),
      ...(published?.statements ?? []),
      auditInsert(c, {
        action: "test.created",
        target: { type: "test", id: test.id },
        after: { title: test.title, published: test.published, questionCount: input.sections.flatMap((s) => s.questionIds).length },
      }),
    ]);
    if (published) c.executionCtx.waitUntil(published.send(c.env));
    const created = (await db.query.tests.findFirst({ where: eq(tests.id, test.id) }))!;
    return c.json(presentTest(created, await loadSections(db, test.id), "manager"), 201, { Location: `/v1/tests/${test.id}` });
  })
  .get("/v1/tests", requireScope("tests:read"), validate("query", testListQuery), async (c) => {
    const auth = caller(c);
    const query = c.req.valid("query");
    const filters: (SQL | undefined)[] = [isNull(tests.deletedAt)];
    // Students browse what is published; instructors manage their own; admins see everything.
    if (auth.role === "student") filters.push(eq(tests.published, true));
    else if (!isAdmin(auth)) filters.push(eq(tests.authorId, auth.userId));
    if (query.published) filters.push(eq(tests.published, query.published === "true"));
    if (query.cursor) filters.push(lt(tests.id, decodeCursor(query.cursor, idCursor).id));
    const rows = await c.var.db
      .select()
      .from(tests)
      .where(and(...filters))
      .orderBy(desc(tests.id))
      .limit(query.limit + 1);
    return c.json(toPage(rows, query.limit, (row) => ({ id: row.id }), presentTestSummary));
  })
  .get("/v1/tests/:id", requireScope("tests:read"), async (c) => {
    const auth = caller(c);
    const test = await c.var.db.query.tests.findFirst({ where: and(eq(tests.id, c.req.param("id")), isNull(tests.deletedAt)) });
    const manager = test ? canManage(auth, test.authorId) : false;
    if (!test || (!manager && !test.published)) throw ApiError.notFound("test");
    return c.json(presentTest(test, await loadSections(c.var.db, test.id), manager ? "manager" : "candidate"));
  })
  .patch("/v1/tests/:id", ...manageTests, validate("json", testPatch), async (c) => {
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
    if (patch.published !== undefined) {
      changes.published = patch.published;
      changes.publishedAt = patch.published ? (existing.publishedAt ?? now) : null;
    }
    const published = changes.published && !existing.published ? publishedEvent(c, { ...existing, ...changes }, now) : null;
    await db.batch([
      db.update(tests).set(changes).where(eq(tests.id, existing.id)),
      ...(published?.statements ?? []),
      ...(patch.sections
        ? [db.delete(testSections).where(eq(testSections.testId, existing.id)), ...sectionStatements(db, existing.id, patch.sections, now)]
        : []),
      auditInsert(c, {
        action: "test.updated",
        target: { type: "test", id: existing.id },
        before: { ...existing, updatedAt: undefined },
        after: { ...existing, ...changes, updatedAt: undefined },
        metadata: patch.sections ? { sectionsReplaced: patch.sections.length } : undefined,
      }),
    ]);
    if (published) c.executionCtx.waitUntil(published.send(c.env));
    const updated = (await db.query.tests.findFirst({ where: eq(tests.id, existing.id) }))!;
    return c.json(presentTest(updated, await loadSections(db, existing.id), "manager"));
  })
  .post("/v1/tests/:id/publish", ...manageTests, async (c) => {
    const existing = await findManagedTest(c, c.req.param("id"));
    const db = c.var.db;
    if (!existing.published) {
      const now = clock.now();
      const published = publishedEvent(c, existing, now);
      await db.batch([
        db.update(tests).set({ published: true, publishedAt: now, updatedAt: now }).where(eq(tests.id, existing.id)),
        auditInsert(c, { action: "test.published", target: { type: "test", id: existing.id } }),
        ...published.statements,
      ]);
      c.executionCtx.waitUntil(published.send(c.env));
    }
    const updated = (await db.query.tests.findFirst({ where: eq(tests.id, existing.id) }))!;
    return c.json(presentTest(updated, await loadSections(db, existing.id), "manager"));
  })
  .delete("/v1/tests/:id", ...manageTests, async (c) => {
    const existing = await findManagedTest(c, c.req.param("id"));
    const now = clock.now();
    await c.var.db.batch([
      c.var.db.update(tests).set({ deletedAt: now, updatedAt: now }).where(eq(tests.id, existing.id)),
      auditInsert(c, { action: "test.deleted", target: { type: "test", id: existing.id } }),
    ]);
    return c.body(null, 204);
  });

import { and, asc, eq, gt, isNull, sql } from "drizzle-orm";
import type { Database } from "../../db";
import { inList } from "../../db/in-list";
import {
  questions,
  searchDocuments,
  testSectionQuestions,
  testSections,
  tests,
  type NewSearchDocument,
  type SearchKind,
} from "../../db/schema";
import { clock } from "../clock";
import { questionDocument, testDocument } from "./documents";

/**
 * Writes a document unless the index already holds a newer version of it: index messages may arrive
 * late or twice, and a job that read an old row must not put its text back over a newer one. A
 * deleted row becomes a tombstone with no text (it matches nothing), kept so a late message for the
 * older version cannot bring it back.
 */
export function upsertStatement(db: Database, doc: NewSearchDocument) {
  const written = doc.deleted ? { ...doc, title: "", body: "", tags: "" } : doc;
  const { resourceId: _key, ...changes } = written;
  return db
    .insert(searchDocuments)
    .values(written)
    .onConflictDoUpdate({
      target: searchDocuments.resourceId,
      set: changes,
      setWhere: sql`excluded.version >= ${searchDocuments.version}`,
    });
}

/** The subjects of a test's questions, for its tags and its subject facet. */
async function subjectsOf(db: Database, testId: string): Promise<string[]> {
  const rows = await db
    .selectDistinct({ subject: questions.subject })
    .from(testSections)
    .innerJoin(testSectionQuestions, eq(testSectionQuestions.sectionId, testSections.id))
    .innerJoin(questions, eq(questions.id, testSectionQuestions.questionId))
    .where(eq(testSections.testId, testId))
    .orderBy(asc(questions.subject));
  return rows.map((row) => row.subject);
}

/** A source row that no longer exists at all: its document, if any, becomes a tombstone. */
const removeStatement = (db: Database, resourceId: string, now: number) =>
  db
    .update(searchDocuments)
    .set({ deleted: true, title: "", body: "", tags: "", version: now, indexedAt: now })
    .where(eq(searchDocuments.resourceId, resourceId));

/** Brings one item's document up to the row as it is now. Returns whether it is searchable. */
export async function indexResource(db: Database, kind: SearchKind, id: string, now = clock.now()): Promise<boolean> {
  if (kind === "question") {
    const question = await db.select().from(questions).where(eq(questions.id, id)).get();
    await (question ? upsertStatement(db, questionDocument(question, now)) : removeStatement(db, id, now));
    return Boolean(question && question.deletedAt === null);
  }
  const test = await db.select().from(tests).where(eq(tests.id, id)).get();
  await (test ? upsertStatement(db, testDocument(test, await subjectsOf(db, id), now)) : removeStatement(db, id, now));
  return Boolean(test && test.deletedAt === null);
}

const REINDEX_PAGE = 200;

/**
 * One page of a rebuild from the tables: the live rows of `kind` after `after` (by id), each written
 * as a document, in one batch. Returns the last id, or null when the table is done.
 */
export async function reindexPage(
  db: Database,
  kind: SearchKind,
  after: string | null,
  now = clock.now(),
): Promise<{ last: string | null; count: number }> {
  const docs =
    kind === "question"
      ? (
          await db
            .select()
            .from(questions)
            .where(and(isNull(questions.deletedAt), after ? gt(questions.id, after) : undefined))
            .orderBy(asc(questions.id))
            .limit(REINDEX_PAGE)
        ).map((question) => questionDocument(question, now))
      : await Promise.all(
          (
            await db
              .select()
              .from(tests)
              .where(and(isNull(tests.deletedAt), after ? gt(tests.id, after) : undefined))
              .orderBy(asc(tests.id))
              .limit(REINDEX_PAGE)
          ).map(async (test) => testDocument(test, await subjectsOf(db, test.id), now)),
        );
  if (docs.length === 0) return { last: null, count: 0 };
  const [first, ...rest] = docs.map((doc) => upsertStatement(db, doc));
  await db.batch([first!, ...rest]);
  return { last: docs.length === REINDEX_PAGE ? docs.at(-1)!.resourceId : null, count: docs.length };
}

/**
 * Documents for rows written without an event each (a bulk import): read back and written in
 * batches. A failure leaves drift the status endpoint reports and a reindex repairs.
 */
export async function indexQuestionsById(db: Database, ids: string[], now = clock.now()): Promise<void> {
  for (let i = 0; i < ids.length; i += REINDEX_PAGE) {
    const rows = await db
      .select()
      .from(questions)
      .where(inList(questions.id, ids.slice(i, i + REINDEX_PAGE)));
    if (rows.length === 0) continue;
    const [first, ...rest] = rows.map((question) => upsertStatement(db, questionDocument(question, now)));
    await db.batch([first!, ...rest]);
  }
}

import { and, asc, eq, inArray, isNull } from "drizzle-orm";
import { cache, cacheKey, type CacheContext } from "../cache";
import { iso, isoOrNull } from "../clock";
import { ApiError, type FieldError } from "../errors";
import { newId } from "../ids";
import type { AuthContext } from "../auth/context";
import { isAdmin } from "./access";
import { EXAM_CACHE_TTL_MS, testTag } from "./cache-keys";
import type { SectionInput } from "../validation/tests";
import type { Database } from "../../db";
import { questions, tests, testSectionQuestions, testSections, type Question, type Test, type TestSection } from "../../db/schema";

export interface LoadedSection {
  section: TestSection;
  questions: Question[];
}

/** A test's sections in order, each with its questions in order (soft-deleted questions included: tests keep them). */
export async function loadSections(db: Database, testId: string): Promise<LoadedSection[]> {
  const rows = await db
    .select({ section: testSections, question: questions, position: testSectionQuestions.position })
    .from(testSections)
    .leftJoin(testSectionQuestions, eq(testSectionQuestions.sectionId, testSections.id))
    .leftJoin(questions, eq(questions.id, testSectionQuestions.questionId))
    .where(eq(testSections.testId, testId))
    .orderBy(asc(testSections.position), asc(testSectionQuestions.position));
  const sections: LoadedSection[] = [];
  for (const row of rows) {
    let current = sections.at(-1);
    if (!current || current.section.id !== row.section.id) {
      current = { section: row.section, questions: [] };
      sections.push(current);
    }
    if (row.question) current.questions.push(row.question);
  }
  return sections;
}

/** One question of a test with the section holding it (for its mark overrides), in a single query. */
export async function findTestQuestion(
  db: Database,
  testId: string,
  questionId: string,
): Promise<{ section: TestSection; question: Question } | null> {
  const row = await db
    .select({ section: testSections, question: questions })
    .from(testSectionQuestions)
    .innerJoin(testSections, eq(testSections.id, testSectionQuestions.sectionId))
    .innerJoin(questions, eq(questions.id, testSectionQuestions.questionId))
    .where(and(eq(testSections.testId, testId), eq(testSectionQuestions.questionId, questionId)))
    .get();
  return row ?? null;
}

/**
 * Every referenced question must exist, be live, and belong to the caller (admins may use anyone's).
 * Returns field errors naming each bad reference.
 */
export async function checkQuestionRefs(db: Database, auth: AuthContext, sections: SectionInput[]): Promise<FieldError[]> {
  const ids = [...new Set(sections.flatMap((section) => section.questionIds))];
  const found = new Map<string, { authorId: string; status: string }>();
  for (let i = 0; i < ids.length; i += 90) {
    const chunk = ids.slice(i, i + 90);
    const rows = await db
      .select({ id: questions.id, authorId: questions.authorId, status: questions.status })
      .from(questions)
      .where(and(inArray(questions.id, chunk), isNull(questions.deletedAt)));
    for (const row of rows) found.set(row.id, row);
  }
  const errors: FieldError[] = [];
  for (const [s, section] of sections.entries()) {
    for (const [q, id] of section.questionIds.entries()) {
      const row = found.get(id);
      if (!row || (!isAdmin(auth) && row.authorId !== auth.userId)) {
        errors.push({ path: `sections.${s}.questionIds.${q}`, message: "No such question in your question bank" });
      } else if (row.status === "draft") {
        errors.push({ path: `sections.${s}.questionIds.${q}`, message: "A draft question: review and publish it first" });
      }
    }
  }
  return errors;
}

/** Insert statements for a test's sections and their question lists (to join the caller's batch). */
export function sectionStatements(db: Database, testId: string, sections: SectionInput[], now: number) {
  const statements = [];
  for (const [position, input] of sections.entries()) {
    const sectionId = newId("section", now);
    statements.push(
      db.insert(testSections).values({
        id: sectionId,
        testId,
        position,
        title: input.title,
        marksPerQuestion: input.marksPerQuestion ?? null,
        negativeMarks: input.negativeMarks ?? null,
      }),
    );
    // D1 allows 100 bound parameters per statement; three per row.
    for (let i = 0; i < input.questionIds.length; i += 30) {
      statements.push(
        db
          .insert(testSectionQuestions)
          .values(input.questionIds.slice(i, i + 30).map((questionId, offset) => ({ sectionId, questionId, position: i + offset }))),
      );
    }
  }
  return statements;
}

function sectionSummary({ section, questions: list }: LoadedSection) {
  const maxScore = list.reduce((sum, question) => sum + (section.marksPerQuestion ?? question.marks), 0);
  return {
    id: section.id,
    title: section.title,
    marksPerQuestion: section.marksPerQuestion,
    negativeMarks: section.negativeMarks,
    questionCount: list.length,
    maxScore,
  };
}

/** A test for its manager (author or admin): sections list their question ids. */
export function presentTest(test: Test, sections: LoadedSection[]) {
  return {
    ...presentTestSummary(test),
    questionCount: sections.reduce((sum, s) => sum + s.questions.length, 0),
    maxScore: sections.reduce((sum, s) => sum + sectionSummary(s).maxScore, 0),
    sections: sections.map((s) => ({ ...sectionSummary(s), questionIds: s.questions.map((q) => q.id) })),
  };
}

export type TestView = ReturnType<typeof presentTest>;

/** The same test for candidates: no question ids, since the questions arrive when an attempt starts. */
export function forCandidate(test: TestView) {
  return { ...test, sections: test.sections.map(({ questionIds: _, ...section }) => section) };
}

/**
 * A live test's full view, through the cache: the same for every caller, so callers check access on
 * it (drafts are for their managers) and present it to candidates with `forCandidate`. 404 when the
 * test does not exist or was deleted.
 */
export function testView(ctx: CacheContext, testId: string): Promise<TestView> {
  const options = { ttlMs: EXAM_CACHE_TTL_MS, tags: [testTag(testId)] };
  return cache.getOrSet(ctx, cacheKey("test", { id: testId }), options, async () => {
    const test = await ctx.db.query.tests.findFirst({ where: and(eq(tests.id, testId), isNull(tests.deletedAt)) });
    if (!test) throw ApiError.notFound("test");
    return presentTest(test, await loadSections(ctx.db, test.id));
  });
}

/** A test row in a list: no sections, so listing stays one query. */
export function presentTestSummary(test: Test) {
  return {
    id: test.id,
    authorId: test.authorId,
    title: test.title,
    description: test.description,
    durationMinutes: test.durationMinutes,
    msqScoring: test.msqScoring,
    autoAcceptAiGrades: test.autoAcceptAiGrades,
    allowHints: test.allowHints,
    hintPenalty: test.hintPenalty,
    published: test.published,
    publishedAt: isoOrNull(test.publishedAt),
    createdAt: iso(test.createdAt),
    updatedAt: iso(test.updatedAt),
  };
}

import { sql } from "drizzle-orm";

// What the exam platform caches and under which tags (docs/caching.md lists each route). Lists carry
// one tag per list family; details the tag of their object. Every write bumps the tags of what it
// changes in the same batch as the write.

/** How long a cached exam read may be served at most; tags normally retire it much earlier. */
export const EXAM_CACHE_TTL_MS = 10 * 60_000;

/** Every page of every test list (students', instructors' and admins'). */
export const TEST_LIST_TAG = "tests";
const TEST_PREFIX = "test:";
/** One test's full view, and what else shows its title or sections (its analytics). */
export const testTag = (testId: string) => `${TEST_PREFIX}${testId}`;

const ANALYTICS_PREFIX = "analytics:";
/** One test's analytics: its own statistics and those of its questions. */
export const analyticsTag = (testId: string) => `${ANALYTICS_PREFIX}${testId}`;

/** One question's full view. */
export const questionTag = (questionId: string) => `question:${questionId}`;
/** The pages of one author's question bank (what instructors list). */
export const questionBankTag = (authorId: string) => `questions:${authorId}`;
/** The pages of every bank at once (what admins list). */
export const ALL_QUESTIONS_TAG = "questions:*";

/** The tags of a question's own views, for any write to it. */
export const questionWriteTags = (questionId: string, authorId: string) => [
  questionTag(questionId),
  questionBankTag(authorId),
  ALL_QUESTIONS_TAG,
];

/** Tags (a `tag` column) of every test holding the question: its marks are part of each test's totals. */
export function testsHoldingQuestion(questionId: string) {
  return sql`SELECT ${TEST_PREFIX} || s.test_id AS tag FROM test_sections s
    JOIN test_section_questions q ON q.section_id = s.id WHERE q.question_id = ${questionId}`;
}

/**
 * Analytics tags (a `tag` column) of the test and of every test sharing a question with it: scoring
 * an attempt moves the statistics of its questions, which every test holding them shows.
 */
export function analyticsOfTestsSharingQuestions(testId: string) {
  return sql`SELECT ${ANALYTICS_PREFIX} || s.test_id AS tag FROM test_sections s
    JOIN test_section_questions q ON q.section_id = s.id
    WHERE q.question_id IN (
      SELECT q2.question_id FROM test_section_questions q2 JOIN test_sections s2 ON s2.id = q2.section_id WHERE s2.test_id = ${testId})`;
}

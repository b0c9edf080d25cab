import { index, integer, primaryKey, real, sqliteTable, text } from "drizzle-orm/sqlite-core";
import { questions } from "./questions";
import { users } from "./users";

/** How an MSQ answer earns marks: only an exact match, or pro rata for correct picks with no wrong ones. */
export const MSQ_SCORING_MODES = ["all_or_nothing", "partial"] as const;
export type MsqScoringMode = (typeof MSQ_SCORING_MODES)[number];

export const tests = sqliteTable(
  "tests",
  {
    id: text("id").primaryKey(), // tst_
    authorId: text("author_id")
      .notNull()
      .references(() => users.id, { onDelete: "cascade" }),
    title: text("title").notNull(),
    description: text("description"),
    durationMinutes: integer("duration_minutes").notNull(),
    msqScoring: text("msq_scoring", { enum: MSQ_SCORING_MODES }).notNull().default("all_or_nothing"),
    published: integer("published", { mode: "boolean" }).notNull().default(false),
    /** AI-suggested grades of written answers are applied as they arrive, without the author's review. */
    autoAcceptAiGrades: integer("auto_accept_ai_grades", { mode: "boolean" }).notNull().default(false),
    /** Candidates may ask for a question's hint during an attempt. */
    allowHints: integer("allow_hints", { mode: "boolean" }).notNull().default(false),
    /** The share (0–1) of an answer's marks lost when its hint was used; wrong answers lose nothing more. */
    hintPenalty: real("hint_penalty").notNull().default(0),
    publishedAt: integer("published_at"),
    createdAt: integer("created_at").notNull(),
    updatedAt: integer("updated_at").notNull(),
    /** Soft delete: attempts keep pointing at the test. */
    deletedAt: integer("deleted_at"),
  },
  (t) => [
    index("tests_author_id_created_at_idx").on(t.authorId, t.createdAt),
    index("tests_published_created_at_idx").on(t.published, t.createdAt),
  ],
);

export type Test = typeof tests.$inferSelect;
export type NewTest = typeof tests.$inferInsert;

export const testSections = sqliteTable(
  "test_sections",
  {
    id: text("id").primaryKey(), // sec_
    testId: text("test_id")
      .notNull()
      .references(() => tests.id, { onDelete: "cascade" }),
    position: integer("position").notNull(),
    title: text("title").notNull(),
    /** Overrides each question's own marks when set. */
    marksPerQuestion: real("marks_per_question"),
    /** Overrides each question's own negative marks when set. */
    negativeMarks: real("negative_marks"),
  },
  (t) => [index("test_sections_test_id_position_idx").on(t.testId, t.position)],
);

export type TestSection = typeof testSections.$inferSelect;
export type NewTestSection = typeof testSections.$inferInsert;

export const testSectionQuestions = sqliteTable(
  "test_section_questions",
  {
    sectionId: text("section_id")
      .notNull()
      .references(() => testSections.id, { onDelete: "cascade" }),
    /** Cascade only fires on hard deletes (account deletion); questions are otherwise soft-deleted. */
    questionId: text("question_id")
      .notNull()
      .references(() => questions.id, { onDelete: "cascade" }),
    position: integer("position").notNull(),
  },
  (t) => [primaryKey({ columns: [t.sectionId, t.questionId] }), index("test_section_questions_question_id_idx").on(t.questionId)],
);

export type TestSectionQuestion = typeof testSectionQuestions.$inferSelect;
export type NewTestSectionQuestion = typeof testSectionQuestions.$inferInsert;

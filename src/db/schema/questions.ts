import { index, integer, real, sqliteTable, text } from "drizzle-orm/sqlite-core";
import { uploads } from "./uploads";
import { users } from "./users";

export const QUESTION_TYPES = ["MCQ", "MSQ", "INTEGER", "RANGE", "SUBJECTIVE"] as const;
export type QuestionType = (typeof QUESTION_TYPES)[number];

export const DIFFICULTIES = ["easy", "medium", "hard"] as const;

/** A draft (an AI-generated question awaiting its author's review) joins no test and is not searchable. */
export const QUESTION_STATUSES = ["published", "draft"] as const;
export type QuestionStatus = (typeof QUESTION_STATUSES)[number];
export type Difficulty = (typeof DIFFICULTIES)[number];

/** MCQ: index into `options`. */
export type McqAnswerKey = { correctOption: number };
/** MSQ: indexes into `options`. */
export type MsqAnswerKey = { correctOptions: number[] };
export type IntegerAnswerKey = { answer: number };
/** RANGE: inclusive bounds. */
export type RangeAnswerKey = { min: number; max: number };
/** SUBJECTIVE: graded by hand; the rubric guides the grader. */
export type SubjectiveAnswerKey = { rubric?: string };
/** The shape follows `questions.type`; validate the pair together. */
export type AnswerKey = McqAnswerKey | MsqAnswerKey | IntegerAnswerKey | RangeAnswerKey | SubjectiveAnswerKey;

export const questions = sqliteTable(
  "questions",
  {
    id: text("id").primaryKey(), // qst_
    authorId: text("author_id")
      .notNull()
      .references(() => users.id, { onDelete: "cascade" }),
    type: text("type", { enum: QUESTION_TYPES }).notNull(),
    body: text("body").notNull(),
    /** Choices for MCQ / MSQ; null for the other types. */
    options: text("options", { mode: "json" }).$type<string[]>(),
    answerKey: text("answer_key", { mode: "json" }).$type<AnswerKey>().notNull(),
    marks: real("marks").notNull().default(1),
    /** Marks deducted for a wrong answer, as a positive number. */
    negativeMarks: real("negative_marks").notNull().default(0),
    difficulty: text("difficulty", { enum: DIFFICULTIES }).notNull().default("medium"),
    subject: text("subject").notNull(),
    topic: text("topic"),
    explanation: text("explanation"),
    imageUploadId: text("image_upload_id").references(() => uploads.id, { onDelete: "set null" }),
    status: text("status", { enum: QUESTION_STATUSES }).notNull().default("published"),
    /** The model that wrote the question, when AI generated it; null for a person's. */
    generatedBy: text("generated_by"),
    /** A nudge towards the method, never the answer; shown during an attempt only where the test allows hints. */
    hint: text("hint"),
    /** The model that wrote the hint. */
    hintGeneratedBy: text("hint_generated_by"),
    createdAt: integer("created_at").notNull(),
    updatedAt: integer("updated_at").notNull(),
    /** Soft delete: tests and past attempts still reference the row. */
    deletedAt: integer("deleted_at"),
  },
  (t) => [
    index("questions_author_id_created_at_idx").on(t.authorId, t.createdAt),
    index("questions_subject_topic_idx").on(t.subject, t.topic),
    index("questions_type_idx").on(t.type),
    index("questions_difficulty_idx").on(t.difficulty),
    index("questions_created_at_idx").on(t.createdAt),
    index("questions_image_upload_id_idx").on(t.imageUploadId),
  ],
);

export type Question = typeof questions.$inferSelect;
export type NewQuestion = typeof questions.$inferInsert;

import { isoOrNull, iso } from "../clock";
import type { FieldError } from "../errors";
import { zodIssuesToFieldErrors } from "../errors";
import { sanitizeRichText } from "../security/sanitize";
import { questionInput, type QuestionInput } from "../validation/questions";
import type {
  AnswerKey,
  McqAnswerKey,
  MsqAnswerKey,
  IntegerAnswerKey,
  NewQuestion,
  Question,
  RangeAnswerKey,
  SubjectiveAnswerKey,
} from "../../db/schema";

/** The columns a question input maps onto (everything but identity and timestamps). */
export type QuestionContent = Pick<
  NewQuestion,
  | "type"
  | "body"
  | "options"
  | "answerKey"
  | "marks"
  | "negativeMarks"
  | "difficulty"
  | "subject"
  | "topic"
  | "explanation"
  | "imageUploadId"
>;

const cleanOptional = (value: string | null | undefined) => (value == null ? value : sanitizeRichText(value));

function sanitize(input: QuestionInput): QuestionInput {
  const base = { ...input, body: sanitizeRichText(input.body), explanation: cleanOptional(input.explanation) };
  if (base.type === "MCQ" || base.type === "MSQ") return { ...base, options: base.options.map(sanitizeRichText) };
  if (base.type === "SUBJECTIVE") return { ...base, rubric: cleanOptional(base.rubric) };
  return base;
}

/**
 * Validates a question body, sanitises its rich text, then validates again so that text which
 * sanitises to nothing (or options that collapse into duplicates) is refused rather than stored.
 */
export function prepareQuestion(raw: unknown): { value: QuestionInput } | { errors: FieldError[] } {
  const first = questionInput.safeParse(raw);
  if (!first.success) return { errors: zodIssuesToFieldErrors(first.error.issues) };
  const second = questionInput.safeParse(sanitize(first.data));
  if (!second.success) return { errors: zodIssuesToFieldErrors(second.error.issues) };
  return { value: second.data };
}

export function toQuestionContent(input: QuestionInput): QuestionContent {
  let options: string[] | null = null;
  let answerKey: AnswerKey;
  switch (input.type) {
    case "MCQ":
      options = input.options;
      answerKey = { correctOption: input.correctOption } satisfies McqAnswerKey;
      break;
    case "MSQ":
      options = input.options;
      answerKey = { correctOptions: [...input.correctOptions].sort((a, b) => a - b) } satisfies MsqAnswerKey;
      break;
    case "INTEGER":
      answerKey = { answer: input.answer } satisfies IntegerAnswerKey;
      break;
    case "RANGE":
      answerKey = { min: input.min, max: input.max } satisfies RangeAnswerKey;
      break;
    case "SUBJECTIVE":
      answerKey = (input.rubric ? { rubric: input.rubric } : {}) satisfies SubjectiveAnswerKey;
      break;
  }
  return {
    type: input.type,
    body: input.body,
    options,
    answerKey,
    marks: input.marks,
    negativeMarks: input.negativeMarks,
    difficulty: input.difficulty,
    subject: input.subject,
    topic: input.topic ?? null,
    explanation: input.explanation ?? null,
    imageUploadId: input.imageUploadId ?? null,
  };
}

/** The type-specific answer fields of a stored question, in the input dialect. */
function answerFields(question: Pick<Question, "type" | "options" | "answerKey">): Record<string, unknown> {
  const key = question.answerKey as Record<string, unknown>;
  switch (question.type) {
    case "MCQ":
      return { options: question.options, correctOption: key.correctOption };
    case "MSQ":
      return { options: question.options, correctOptions: key.correctOptions };
    case "INTEGER":
      return { answer: key.answer };
    case "RANGE":
      return { min: key.min, max: key.max };
    case "SUBJECTIVE":
      return { rubric: key.rubric ?? null };
  }
}

/** What a `question.created` / `question.updated` event says about the question. */
export function questionEventData(
  row: Pick<Question, "id" | "authorId" | "type" | "subject"> & { topic?: string | null; difficulty?: Question["difficulty"] },
) {
  return {
    questionId: row.id,
    authorId: row.authorId,
    type: row.type,
    subject: row.subject,
    topic: row.topic ?? null,
    difficulty: row.difficulty ?? "medium",
  };
}

/** A stored question back in the dialect clients send (the base a PATCH is merged onto). */
export function questionAsInput(question: Question): Record<string, unknown> {
  return {
    type: question.type,
    body: question.body,
    marks: question.marks,
    negativeMarks: question.negativeMarks,
    difficulty: question.difficulty,
    subject: question.subject,
    topic: question.topic,
    explanation: question.explanation,
    imageUploadId: question.imageUploadId,
    ...answerFields(question),
  };
}

/** The full question, answer key included: only for its author and admins. */
export function presentQuestion(question: Question) {
  return {
    id: question.id,
    authorId: question.authorId,
    ...questionAsInput(question),
    status: question.status,
    generatedBy: question.generatedBy,
    createdAt: iso(question.createdAt),
    updatedAt: iso(question.updatedAt),
    deletedAt: isoOrNull(question.deletedAt),
  };
}

export interface MarkOverrides {
  marksPerQuestion: number | null;
  negativeMarks: number | null;
}

/** Effective marks of a question inside a section: the section's override wins when set. */
export function effectiveMarks(question: Pick<Question, "marks" | "negativeMarks">, section: MarkOverrides) {
  return {
    marks: section.marksPerQuestion ?? question.marks,
    negativeMarks: section.negativeMarks ?? question.negativeMarks,
  };
}

/** A question as a test taker sees it: no answer key, no rubric, no explanation. */
export function presentQuestionForCandidate(question: Question, section: MarkOverrides) {
  return {
    id: question.id,
    type: question.type,
    body: question.body,
    ...(question.options ? { options: question.options } : {}),
    ...effectiveMarks(question, section),
    difficulty: question.difficulty,
    subject: question.subject,
    topic: question.topic,
    imageUploadId: question.imageUploadId,
  };
}

/** What a scored attempt reveals per question: the answer key and the explanation (graders also get the rubric). */
export function presentSolution(question: Question, withRubric = false) {
  const fields = answerFields(question);
  delete fields.options;
  if (!withRubric) delete fields.rubric;
  return { ...fields, explanation: question.explanation };
}

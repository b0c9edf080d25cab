import { z } from "zod";
import type { QuestionType } from "../../db/schema";
import type { FieldError } from "../errors";
import { sanitizeRichText } from "../security/sanitize";
import { richText } from "./text";

const MAX_SUBJECTIVE_ANSWER_CHARS = 20_000;

/** PUT /v1/attempts/:id/answers/:questionId — the shape is checked against the question's type afterwards. */
export const answerInput = z.strictObject({
  answer: z.union([z.null(), z.number().finite(), z.array(z.number()).max(10), richText({ max: MAX_SUBJECTIVE_ANSWER_CHARS, min: 0 })]),
  /** Optional client-measured time on the question, accumulated per answer. */
  timeSpentSeconds: z
    .number()
    .int()
    .min(0)
    .max(24 * 3600)
    .optional(),
});
export type AnswerInput = z.infer<typeof answerInput>;

export type AnswerValue = number | number[] | string;

interface QuestionShape {
  type: QuestionType;
  options: string[] | null;
}

/**
 * Checks an answer against its question: an option index in range (MCQ), distinct in-range indices
 * (MSQ), an integer (INTEGER), a number (RANGE), non-empty text (SUBJECTIVE). Returns the value to
 * store (MSQ sorted, text sanitised and trimmed) or the field errors.
 */
export function checkAnswer(question: QuestionShape, answer: unknown): { value: AnswerValue } | { errors: FieldError[] } {
  const optionCount = question.options?.length ?? 0;
  const fail = (message: string, path = "answer") => ({ errors: [{ path, message }] });
  const isIndex = (v: unknown): v is number => typeof v === "number" && Number.isInteger(v) && v >= 0 && v < optionCount;
  switch (question.type) {
    case "MCQ":
      return isIndex(answer) ? { value: answer } : fail(`An MCQ answer is one option index (0–${optionCount - 1})`);
    case "MSQ": {
      if (!Array.isArray(answer) || answer.length === 0)
        return fail("An MSQ answer is a non-empty array of option indices (send null to clear)");
      for (const [i, v] of answer.entries()) {
        if (!isIndex(v)) return fail(`Must be an option index (0–${optionCount - 1})`, `answer.${i}`);
      }
      if (new Set(answer).size !== answer.length) return fail("Option indices must be distinct");
      return { value: [...(answer as number[])].sort((a, b) => a - b) };
    }
    case "INTEGER":
      return typeof answer === "number" && Number.isSafeInteger(answer) ? { value: answer } : fail("An INTEGER answer is a whole number");
    case "RANGE":
      return typeof answer === "number" && Number.isFinite(answer) ? { value: answer } : fail("A RANGE answer is a number");
    case "SUBJECTIVE": {
      // Graders read answers in a browser: markup is sanitised like every other rich text.
      const text = typeof answer === "string" ? sanitizeRichText(answer).trim() : "";
      if (text.length === 0) return fail("A SUBJECTIVE answer is non-empty text (send null to clear)");
      return { value: text };
    }
  }
}

/** PUT /v1/attempts/:id/answers/:questionId/grade */
/** A grader's own marks and feedback, or the AI suggestion stored on the answer, accepted as it is. */
export const gradeInput = z.union([
  z.strictObject({
    marks: z.number().finite().min(0).max(1000),
    feedback: richText({ max: 5_000, min: 0 }).nullish(),
  }),
  z.strictObject({ acceptSuggestion: z.literal(true) }),
]);
export type GradeInput = z.infer<typeof gradeInput>;

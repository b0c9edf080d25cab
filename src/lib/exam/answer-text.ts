import type { Question } from "../../db/schema";
import { htmlToPlainText, truncate } from "../plain-text";

/** Option letters as a test taker sees them: A, B, C… */
export const optionLetter = (index: number) => String.fromCharCode(65 + index);

/** A question's rich text as one line of plain text for a report cell. */
export const plain = (html: string | null | undefined, max = 400) => (html ? truncate(htmlToPlainText(html), max) : "");

/** A response in words: option letters with their text, a number, or the written answer. */
export function describeAnswer(question: Pick<Question, "type" | "options">, answer: unknown): string {
  if (answer === null || answer === undefined) return "—";
  const option = (index: unknown) =>
    typeof index === "number" && question.options?.[index] !== undefined
      ? `${optionLetter(index)}. ${plain(question.options[index], 80)}`
      : String(index);
  switch (question.type) {
    case "MCQ":
      return option(answer);
    case "MSQ":
      return Array.isArray(answer) ? answer.map(option).join("; ") : String(answer);
    case "SUBJECTIVE":
      return typeof answer === "string" ? plain(answer, 600) : String(answer);
    default:
      return String(answer);
  }
}

/** The answer key in words (for a scored attempt's result card). */
export function describeKey(question: Pick<Question, "type" | "options" | "answerKey">): string {
  const key = question.answerKey as Record<string, unknown>;
  switch (question.type) {
    case "MCQ":
      return describeAnswer(question, key.correctOption);
    case "MSQ":
      return describeAnswer(question, key.correctOptions);
    case "INTEGER":
      return String(key.answer);
    case "RANGE":
      return `${key.min} to ${key.max}`;
    case "SUBJECTIVE":
      return "Graded by hand";
  }
}

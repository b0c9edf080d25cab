import { z } from "zod";
import type { QuestionType } from "../../db/schema";
import { htmlToPlainText } from "../plain-text";
import type { FieldError } from "../errors";
import { prepareQuestion } from "../exam/questions";
import type { QuestionInput } from "../validation/questions";
import type { JobPayload } from "../queue/job-types";

/** What the model writes per question type: only the content; classification and marks come from the request. */
const text = (max: number) => z.string().min(1).max(max);
const ITEM_SCHEMAS: Record<QuestionType, z.ZodType> = {
  MCQ: z.object({ body: text(4000), options: z.array(text(500)).min(4).max(4), correctOption: z.number().int(), explanation: text(4000) }),
  MSQ: z.object({
    body: text(4000),
    options: z.array(text(500)).min(4).max(6),
    correctOptions: z.array(z.number().int()).min(1),
    explanation: text(4000),
  }),
  INTEGER: z.object({ body: text(4000), answer: z.number().int(), explanation: text(4000) }),
  RANGE: z.object({ body: text(4000), min: z.number(), max: z.number(), explanation: text(4000) }),
  SUBJECTIVE: z.object({ body: text(4000), rubric: text(2000), explanation: text(4000) }),
};

export function generationSchema(type: QuestionType, count: number) {
  return z.object({ questions: z.array(ITEM_SCHEMAS[type]).min(1).max(count) });
}

const TYPE_RULES: Record<QuestionType, string> = {
  MCQ: "Multiple choice with exactly four options and one correct option; correctOption is its 0-based index.",
  MSQ: "Multiple select with four to six options and one or more correct options; correctOptions are 0-based indexes.",
  INTEGER: "The answer is a single integer.",
  RANGE: "The answer is a number; min and max bound the accepted answers (inclusive).",
  SUBJECTIVE: "A written answer; rubric says what a full-marks answer contains, for a grader.",
};

export function generationPrompt(request: JobPayload<"ai.generate_questions">) {
  const system = [
    "You write exam questions for a test-preparation platform.",
    "Every question must be self-contained, unambiguous, factually correct and at the requested difficulty.",
    "Write plain text (no HTML, no Markdown). Each explanation shows why the answer is right.",
    "Answer with JSON only, matching the schema you are given.",
  ].join(" ");
  const lines = [
    `Write ${request.count} ${request.difficulty} question(s) of type ${request.type} on ${request.subject}${request.topic ? `, topic: ${request.topic}` : ""}.`,
    TYPE_RULES[request.type],
    "The questions must differ from one another.",
    `Write them in the language whose tag is ${request.language}.`,
  ];
  if (request.instructions) lines.push(`The author's guidance: ${request.instructions}`);
  return { system, user: lines.join("\n") };
}

/**
 * A generated item as a question input, through the same validation and sanitising as a hand-written
 * question: anything the schemas refuse is rejected, never stored half-valid.
 */
export function toQuestion(
  request: JobPayload<"ai.generate_questions">,
  item: Record<string, unknown>,
): { value: QuestionInput } | { errors: FieldError[] } {
  return prepareQuestion({
    ...item,
    type: request.type,
    subject: request.subject,
    topic: request.topic,
    difficulty: request.difficulty,
  });
}

/** Word 3-grams of a question's text, lower-cased: the unit of the near-duplicate check. */
export function shingles(html: string): Set<string> {
  const words = htmlToPlainText(html)
    .toLowerCase()
    .split(/[^\p{L}\p{N}]+/u)
    .filter(Boolean);
  const grams = new Set<string>();
  if (words.length < 3) grams.add(words.join(" "));
  for (let i = 0; i + 3 <= words.length; i++) grams.add(words.slice(i, i + 3).join(" "));
  return grams;
}

/** Jaccard similarity of two shingle sets. */
export function similarity(a: Set<string>, b: Set<string>): number {
  if (a.size === 0 || b.size === 0) return 0;
  let shared = 0;
  for (const gram of a) if (b.has(gram)) shared++;
  return shared / (a.size + b.size - shared);
}

/** At or above this, a generated question is a near-duplicate of one already in the bank (or the batch). */
export const NEAR_DUPLICATE = 0.6;

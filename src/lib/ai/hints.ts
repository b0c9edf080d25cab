import { z } from "zod";
import type { Question } from "../../db/schema";
import { describeKey } from "../exam/answer-text";
import { htmlToPlainText } from "../plain-text";
import type { ChatMessage } from "./client";
import { delimited, UNTRUSTED_DATA_RULE } from "./prompt";

const SYSTEM = [
  "You write one short hint for an exam question: a nudge towards the method or the concept, at most three sentences.",
  "Never state, imply or narrow down the answer, and never name or eliminate options.",
  UNTRUSTED_DATA_RULE,
  'Answer with JSON only: {"hint": string}.',
].join(" ");

/** Texts a hint must not contain: the answer itself, in the forms a candidate would recognise. */
function answerTexts(question: Pick<Question, "type" | "options" | "answerKey">): RegExp[] {
  const key = question.answerKey as Record<string, unknown>;
  const number = (n: unknown) => new RegExp(`(^|[^\\d.])${String(n).replace(".", "\\.")}($|[^\\d])`);
  const phrase = (text: string) => new RegExp(text.replace(/[.*+?^${}()|[\]\\]/g, "\\$&"), "i");
  const optionText = (index: unknown) => {
    const option = typeof index === "number" ? question.options?.[index] : undefined;
    const plain = option ? htmlToPlainText(option) : "";
    // Short options ("4", "B") are words a hint may use innocently; longer ones are the answer itself.
    return plain.length >= 3 ? [phrase(plain)] : [];
  };
  switch (question.type) {
    case "MCQ":
      return optionText(key.correctOption);
    case "MSQ":
      return (key.correctOptions as number[]).flatMap(optionText);
    case "INTEGER":
      return [number(key.answer)];
    case "RANGE":
      return [number(key.min), number(key.max)];
    case "SUBJECTIVE":
      return [];
  }
}

/** The model's hint, refused (and so re-asked) when it gives the answer away. */
export function hintSchema(question: Pick<Question, "type" | "options" | "answerKey">) {
  const forbidden = answerTexts(question);
  return z.object({
    hint: z
      .string()
      .min(1)
      .max(600)
      .refine(
        (hint) => !forbidden.some((pattern) => pattern.test(hint)),
        "The hint states the answer; write one that only points towards the method",
      ),
  });
}

/** The question, its answer and solution as data (the hint must point the right way), asking for one hint. */
export function hintRequest(question: Question): { system: string; messages: ChatMessage[] } {
  const parts = [
    `Question:\n${delimited("question", htmlToPlainText(question.body))}`,
    ...(question.options
      ? [
          `Options:\n${delimited("options", question.options.map((o, i) => `${String.fromCharCode(65 + i)}. ${htmlToPlainText(o)}`).join("\n"))}`,
        ]
      : []),
    `Answer (never reveal it):\n${delimited("answer", describeKey(question))}`,
    ...(question.explanation ? [`Solution (never reveal it):\n${delimited("solution", htmlToPlainText(question.explanation))}`] : []),
  ];
  return { system: SYSTEM, messages: [{ role: "user", content: parts.join("\n\n") }] };
}

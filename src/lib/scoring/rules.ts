import type { IntegerAnswerKey, McqAnswerKey, MsqAnswerKey, MsqScoringMode, RangeAnswerKey } from "../../db/schema";
import type { AnswerOutcome, ScorableQuestion } from "./types";

/** The marks a question is worth in its section after the section's overrides. */
export interface EffectiveMarks {
  marks: number;
  negativeMarks: number;
}

export interface Judgement {
  outcome: AnswerOutcome;
  marks: number;
  malformed: boolean;
}

const UNATTEMPTED: Judgement = { outcome: "unattempted", marks: 0, malformed: false };
const MALFORMED: Judgement = { outcome: "unattempted", marks: 0, malformed: true };

function correct(m: EffectiveMarks): Judgement {
  return { outcome: "correct", marks: m.marks, malformed: false };
}

function incorrect(m: EffectiveMarks): Judgement {
  return { outcome: "incorrect", marks: -m.negativeMarks, malformed: false };
}

function isOptionIndex(value: unknown, optionCount: number | undefined): value is number {
  return Number.isInteger(value) && (value as number) >= 0 && (optionCount === undefined || (value as number) < optionCount);
}

function optionCountOf(question: ScorableQuestion): number | undefined {
  return question.options ? question.options.length : undefined;
}

export function judgeMcq(question: ScorableQuestion, answer: unknown, m: EffectiveMarks): Judgement {
  if (answer === null || answer === undefined) return UNATTEMPTED;
  if (!isOptionIndex(answer, optionCountOf(question))) return MALFORMED;
  return answer === (question.answerKey as McqAnswerKey).correctOption ? correct(m) : incorrect(m);
}

/**
 * MSQ: duplicates in the answer count once. All-or-nothing: the exact set earns full marks, anything
 * else the negative marks. Partial (JEE Advanced): the exact set earns full marks; a proper subset of the
 * correct options earns +1 per option (never more than the full marks); any wrong option the negative marks.
 */
export function judgeMsq(question: ScorableQuestion, answer: unknown, m: EffectiveMarks, mode: MsqScoringMode): Judgement {
  if (answer === null || answer === undefined) return UNATTEMPTED;
  if (!Array.isArray(answer)) return MALFORMED;
  if (answer.length === 0) return UNATTEMPTED;
  const optionCount = optionCountOf(question);
  const chosen = new Set<number>();
  for (const option of answer) {
    if (!isOptionIndex(option, optionCount)) return MALFORMED;
    chosen.add(option);
  }
  const key = new Set((question.answerKey as MsqAnswerKey).correctOptions);
  let right = 0;
  for (const option of chosen) {
    if (!key.has(option)) return incorrect(m);
    right++;
  }
  if (right === key.size) return correct(m);
  if (mode === "all_or_nothing") return incorrect(m);
  return { outcome: "partial", marks: Math.min(right, m.marks), malformed: false };
}

export function judgeInteger(question: ScorableQuestion, answer: unknown, m: EffectiveMarks): Judgement {
  if (answer === null || answer === undefined) return UNATTEMPTED;
  if (typeof answer !== "number" || !Number.isInteger(answer)) return MALFORMED;
  return answer === (question.answerKey as IntegerAnswerKey).answer ? correct(m) : incorrect(m);
}

export function judgeRange(question: ScorableQuestion, answer: unknown, m: EffectiveMarks): Judgement {
  if (answer === null || answer === undefined) return UNATTEMPTED;
  if (typeof answer !== "number" || !Number.isFinite(answer)) return MALFORMED;
  const { min, max } = question.answerKey as RangeAnswerKey;
  return answer >= min && answer <= max ? correct(m) : incorrect(m);
}

/** Subjective: an empty text is unattempted; otherwise pending until a grader gives marks (capped at full marks). */
export function judgeSubjective(answer: unknown, gradedMarks: number | null | undefined, m: EffectiveMarks): Judgement {
  if (answer === null || answer === undefined) return UNATTEMPTED;
  if (typeof answer !== "string") return MALFORMED;
  if (answer.trim() === "") return UNATTEMPTED;
  if (gradedMarks === null || gradedMarks === undefined || !Number.isFinite(gradedMarks)) {
    return { outcome: "pending", marks: 0, malformed: false };
  }
  const marks = Math.max(-m.negativeMarks, Math.min(gradedMarks, m.marks));
  return { outcome: marks > 0 ? "correct" : "incorrect", marks, malformed: false };
}

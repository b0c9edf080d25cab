import type { AnswerKey, AttemptResult, MsqScoringMode, QuestionType } from "../../db/schema";

/** What scoring needs of a question: its type, key and own marks (a subset of the `questions` row). */
export interface ScorableQuestion {
  id: string;
  type: QuestionType;
  answerKey: AnswerKey;
  /** MCQ / MSQ choices; their count bounds the valid option indices. Null or absent: no upper bound check. */
  options?: readonly string[] | null;
  marks: number;
  /** Deducted for a wrong answer, as a positive number (a negative value is read as its magnitude). */
  negativeMarks: number;
}

/** A section as the test defines it; its marks, when set, override every question's own. */
export interface ScorableSection {
  title: string;
  marksPerQuestion?: number | null;
  negativeMarks?: number | null;
  questions: readonly ScorableQuestion[];
}

/** A student's answer as stored in `answers` (shape follows the question type; null = cleared). */
export interface SubmittedAnswer {
  answer: unknown;
  timeSpentSeconds?: number;
  /** Marks a grader gave a SUBJECTIVE answer; null/absent = not graded yet. */
  gradedMarks?: number | null;
  /** The candidate asked for the question's hint. */
  hintUsed?: boolean;
}

export interface ScoringInput {
  msqScoring: MsqScoringMode;
  /** The share (0–1) of the marks an answer earns that its hint costs; absent: 0. */
  hintPenalty?: number;
  sections: readonly ScorableSection[];
  /** Keyed by question id; a missing entry is an unattempted question. */
  answers: ReadonlyMap<string, SubmittedAnswer> | Readonly<Record<string, SubmittedAnswer>>;
  timeTakenSeconds: number;
}

/**
 * How one answer was judged.
 * - `correct`: exact answer (or a graded subjective answer with marks > 0).
 * - `partial`: MSQ partial mode, some correct options and no wrong one.
 * - `incorrect`: wrong answer (or graded subjective with marks ≤ 0).
 * - `unattempted`: no answer, an empty one, or one whose shape does not fit the question (`malformed`).
 * - `pending`: a subjective answer awaiting a grader.
 */
export type AnswerOutcome = "correct" | "partial" | "incorrect" | "unattempted" | "pending";

export interface QuestionScore {
  questionId: string;
  section: string;
  outcome: AnswerOutcome;
  /** Null while pending (subjective, ungraded). */
  marksAwarded: number | null;
  /** True only for an exact answer; null while pending or unattempted. */
  isCorrect: boolean | null;
  /** The answer had a shape the question type cannot hold (wrong type, out-of-range index). */
  malformed: boolean;
  maxMarks: number;
}

export interface ScoringOutput {
  result: AttemptResult;
  questions: QuestionScore[];
}

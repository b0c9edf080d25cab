import type { QuestionType } from "../../db/schema";

/**
 * Classical item analysis of a test (item difficulty and upper/lower-group discrimination), built in
 * one streaming pass: the caller passes every scored attempt's total score up front, then feeds the
 * answers one at a time in any order. Memory is one small tally per question plus one byte per
 * (attempt, question) pair (450 kB for 5,000 attempts × 90 questions), never the answers themselves.
 *
 * Rules:
 * - Examinees: every attempt passed to the constructor counts for every question; an attempt with no
 *   answer row for a question is unanswered and earns nothing. `answered` counts non-null answers.
 * - Groups (Kelley): attempts sorted by total score, highest first, ties broken by attempt id
 *   ascending (code-unit order) so the split is deterministic; n = round(0.27 × N), capped at
 *   floor(N / 2) so the groups never overlap. The upper group is the first n, the lower the last n.
 *   N < 2 gives n = 0: no groups, discrimination null.
 * - Item score: for MCQ, MSQ, INTEGER and RANGE, 1 when `isCorrect === true`, otherwise 0 (a wrong
 *   answer with negative marks scores 0, and so does a partially right MSQ, which scoring marks as not
 *   correct). For SUBJECTIVE, clamp(marks / full marks, 0, 1); an ungraded answer (null marks) and any
 *   question worth 0 marks score 0. `correct` counts item scores of 1: correct answers, or subjective
 *   answers given full marks.
 * - Difficulty p = sum of item scores / examinees (the proportion correct: higher is easier), null
 *   with no examinees. Discrimination D = (sum of item scores in the upper group − sum in the lower) / n,
 *   null when n = 0. `upperCorrect` / `lowerCorrect` are those two sums (fractional for SUBJECTIVE).
 * - Average time: mean `timeSpentSeconds` over the attempts that answered, null when nobody did. Time
 *   spent on a question then left blank is left out, so the figure reads as the time an answer took.
 * - Option counts: MCQ, how many chose each option; MSQ, how many included each option (an index
 *   repeated within one answer counts once). Indexes that are not an in-range whole number are skipped.
 * - Outputs are rounded here so that labels and numbers in the report agree: p, D and the group sums
 *   to 3 decimals, time to 1 decimal.
 * - Ids unknown to the constructor are ignored, and so is a repeated (attempt, question) pair after its
 *   first observation (a page overlap in the caller must not count an answer twice). A question or
 *   attempt listed twice in the constructor keeps its first occurrence.
 */

export interface ItemQuestion {
  id: string;
  type: QuestionType;
  /** Options of an MCQ / MSQ; 0 for the other types. */
  optionCount: number;
  /** Effective full marks (the section's marks per question when it sets one). */
  marks: number;
}

export interface AttemptScore {
  attemptId: string;
  score: number;
}

export interface AnswerObservation {
  attemptId: string;
  questionId: string;
  answer: unknown;
  isCorrect: boolean | null;
  /** Marks awarded (graded marks win for SUBJECTIVE); may be negative. */
  marks: number | null;
  timeSpentSeconds: number;
}

export interface ItemStatistics {
  questionId: string;
  examinees: number;
  answered: number;
  correct: number;
  difficultyIndex: number | null;
  discriminationIndex: number | null;
  upperCorrect: number;
  lowerCorrect: number;
  optionCounts: number[] | null;
  averageTimeSeconds: number | null;
}

export type DiscriminationLabel = "excellent" | "good" | "fair" | "poor" | "negative" | "n/a";
export type DifficultyLabel = "hard" | "moderate" | "easy" | "n/a";

const KELLEY_GROUP_FRACTION = 0.27;

/** Attempts in neither group keep the zero a Uint8Array starts with. */
const UPPER_GROUP = 1;
const LOWER_GROUP = 2;

/**
 * Item scores are summed as credit: 1 per correct answer, or for SUBJECTIVE the clamped marks, which
 * are divided by full marks only in `result()`. Grades are usually multiples of 0.25 or 0.5, whose sums
 * are exact in any order, so the result does not depend on the order of the observations.
 */
interface ItemTally {
  question: ItemQuestion;
  /** Credit of a fully correct answer. */
  fullCredit: number;
  answered: number;
  correct: number;
  credit: number;
  upperCredit: number;
  lowerCredit: number;
  answeredTimeSeconds: number;
  optionCounts: number[] | null;
}

const round = (value: number, places: number) => Math.round(value * 10 ** places) / 10 ** places + 0; // + 0 turns -0 into 0

function isOptionIndex(value: unknown, optionCount: number): value is number {
  return typeof value === "number" && Number.isInteger(value) && value >= 0 && value < optionCount;
}

function uniqueBy<T>(items: T[], key: (item: T) => string): T[] {
  const seen = new Set<string>();
  return items.filter((item) => {
    const itemKey = key(item);
    if (seen.has(itemKey)) return false;
    seen.add(itemKey);
    return true;
  });
}

function newTally(question: ItemQuestion): ItemTally {
  const isChoice = question.type === "MCQ" || question.type === "MSQ";
  return {
    question,
    fullCredit: question.type === "SUBJECTIVE" && question.marks > 0 ? question.marks : 1,
    answered: 0,
    correct: 0,
    credit: 0,
    upperCredit: 0,
    lowerCredit: 0,
    answeredTimeSeconds: 0,
    optionCounts: isChoice ? new Array<number>(Math.max(0, question.optionCount)).fill(0) : null,
  };
}

function creditOf(question: ItemQuestion, observation: AnswerObservation): number {
  if (question.type !== "SUBJECTIVE") return observation.isCorrect === true ? 1 : 0;
  if (question.marks <= 0) return 0;
  return Math.min(Math.max(observation.marks ?? 0, 0), question.marks);
}

function countOptions(counts: number[], type: QuestionType, answer: unknown): void {
  const chosen = type === "MCQ" ? [answer] : Array.isArray(answer) ? new Set<unknown>(answer) : [];
  for (const index of chosen) {
    if (isOptionIndex(index, counts.length)) counts[index] = counts[index]! + 1;
  }
}

export class ItemAnalysis {
  /** Size of each of the upper and lower groups (n). */
  readonly groupSize: number;
  private readonly examinees: number;
  private readonly tallies: ItemTally[];
  private readonly questionSlots = new Map<string, number>();
  private readonly attemptSlots = new Map<string, number>();
  private readonly groupOfAttempt: Uint8Array;
  /** One byte per (attempt, question) pair: 1 once an observation of the pair has been counted. */
  private readonly observed: Uint8Array;

  constructor(questions: ItemQuestion[], attempts: AttemptScore[]) {
    this.tallies = uniqueBy(questions, (q) => q.id).map(newTally);
    for (const [slot, tally] of this.tallies.entries()) this.questionSlots.set(tally.question.id, slot);

    const ranked = uniqueBy(attempts, (a) => a.attemptId).sort(
      (a, b) => b.score - a.score || (a.attemptId < b.attemptId ? -1 : a.attemptId > b.attemptId ? 1 : 0),
    );
    this.examinees = ranked.length;
    // round(0.27 × N) never exceeds N / 2 for a whole N; the cap keeps the groups apart whatever the fraction.
    this.groupSize = Math.min(Math.round(KELLEY_GROUP_FRACTION * ranked.length), Math.floor(ranked.length / 2));
    this.groupOfAttempt = new Uint8Array(ranked.length);
    ranked.forEach((attempt, rank) => {
      this.attemptSlots.set(attempt.attemptId, rank);
      if (rank < this.groupSize) this.groupOfAttempt[rank] = UPPER_GROUP;
      else if (rank >= ranked.length - this.groupSize) this.groupOfAttempt[rank] = LOWER_GROUP;
    });
    this.observed = new Uint8Array(ranked.length * this.tallies.length);
  }

  add(observation: AnswerObservation): void {
    const rank = this.attemptSlots.get(observation.attemptId);
    const questionSlot = this.questionSlots.get(observation.questionId);
    if (rank === undefined || questionSlot === undefined) return;
    const pair = rank * this.tallies.length + questionSlot;
    if (this.observed[pair] === 1) return;
    this.observed[pair] = 1;

    const tally = this.tallies[questionSlot]!;
    const credit = creditOf(tally.question, observation);
    tally.credit += credit;
    if (credit === tally.fullCredit) tally.correct++;
    const group = this.groupOfAttempt[rank];
    if (group === UPPER_GROUP) tally.upperCredit += credit;
    else if (group === LOWER_GROUP) tally.lowerCredit += credit;

    if (observation.answer === null || observation.answer === undefined) return;
    tally.answered++;
    tally.answeredTimeSeconds += observation.timeSpentSeconds;
    if (tally.optionCounts) countOptions(tally.optionCounts, tally.question.type, observation.answer);
  }

  /** One entry per question, in the constructor's order; can be called again after more `add`s. */
  result(): ItemStatistics[] {
    const n = this.groupSize;
    return this.tallies.map((tally) => ({
      questionId: tally.question.id,
      examinees: this.examinees,
      answered: tally.answered,
      correct: tally.correct,
      difficultyIndex: this.examinees === 0 ? null : round(tally.credit / tally.fullCredit / this.examinees, 3),
      discriminationIndex: n === 0 ? null : round((tally.upperCredit - tally.lowerCredit) / tally.fullCredit / n, 3),
      upperCorrect: round(tally.upperCredit / tally.fullCredit, 3),
      lowerCorrect: round(tally.lowerCredit / tally.fullCredit, 3),
      optionCounts: tally.optionCounts ? [...tally.optionCounts] : null,
      averageTimeSeconds: tally.answered === 0 ? null : round(tally.answeredTimeSeconds / tally.answered, 1),
    }));
  }
}

/** Ebel's bands: ≥ 0.40 excellent, 0.30–0.39 good, 0.20–0.29 fair, 0–0.19 poor, below 0 negative. */
export function interpretDiscrimination(d: number | null): DiscriminationLabel {
  if (d === null) return "n/a";
  if (d >= 0.4) return "excellent";
  if (d >= 0.3) return "good";
  if (d >= 0.2) return "fair";
  if (d >= 0) return "poor";
  return "negative";
}

/** Proportion correct: below 0.30 hard, 0.30–0.80 moderate, above 0.80 easy. */
export function interpretDifficulty(p: number | null): DifficultyLabel {
  if (p === null) return "n/a";
  if (p < 0.3) return "hard";
  if (p <= 0.8) return "moderate";
  return "easy";
}

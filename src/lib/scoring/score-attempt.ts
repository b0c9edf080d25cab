import type { AttemptSectionResult } from "../../db/schema";
import { judgeInteger, judgeMcq, judgeMsq, judgeRange, judgeSubjective, type EffectiveMarks, type Judgement } from "./rules";
import type { QuestionScore, ScorableQuestion, ScorableSection, ScoringInput, ScoringOutput, SubmittedAnswer } from "./types";

/** Scores stay exact to the hundredth despite binary floating point (0.1 + 0.2). */
const round2 = (n: number) => Math.round(n * 100) / 100 + 0; // + 0 turns -0 into 0
const round4 = (n: number) => Math.round(n * 10_000) / 10_000;

/** Correct over attempted (correct + incorrect), 0 when nothing was attempted. */
function accuracyOf(correct: number, incorrect: number): number {
  const attempted = correct + incorrect;
  return attempted === 0 ? 0 : round4(correct / attempted);
}

function nonNegative(n: number | null | undefined): number | undefined {
  return n === null || n === undefined || !Number.isFinite(n) ? undefined : Math.abs(n);
}

function effectiveMarks(section: ScorableSection, question: ScorableQuestion): EffectiveMarks {
  return {
    marks: nonNegative(section.marksPerQuestion) ?? nonNegative(question.marks) ?? 0,
    negativeMarks: nonNegative(section.negativeMarks) ?? nonNegative(question.negativeMarks) ?? 0,
  };
}

function answerOf(answers: ScoringInput["answers"], questionId: string): SubmittedAnswer | undefined {
  return answers instanceof Map ? answers.get(questionId) : (answers as Record<string, SubmittedAnswer>)[questionId];
}

function judge(input: ScoringInput, question: ScorableQuestion, submitted: SubmittedAnswer | undefined, m: EffectiveMarks): Judgement {
  const answer = submitted?.answer;
  switch (question.type) {
    case "MCQ":
      return judgeMcq(question, answer, m);
    case "MSQ":
      return judgeMsq(question, answer, m, input.msqScoring);
    case "INTEGER":
      return judgeInteger(question, answer, m);
    case "RANGE":
      return judgeRange(question, answer, m);
    case "SUBJECTIVE":
      return judgeSubjective(answer, submitted?.gradedMarks, m);
  }
}

/** A hint costs its share of the marks an answer earned; a wrong answer's negative marks stay as they are. */
function withHintPenalty(verdict: Judgement, submitted: SubmittedAnswer | undefined, penalty = 0): Judgement {
  if (!submitted?.hintUsed || verdict.marks <= 0) return verdict;
  return { ...verdict, marks: verdict.marks * (1 - Math.min(1, Math.max(0, penalty))) };
}

/**
 * Scores a whole attempt. Pure and synchronous: no I/O, no clock. A question listed twice in a test is
 * scored once (its first occurrence). A partial MSQ answer counts as `correct` in the section counts
 * (it earned marks and picked nothing wrong); a pending subjective answer counts in none of them.
 */
export function scoreAttempt(input: ScoringInput): ScoringOutput {
  const seen = new Set<string>();
  const questions: QuestionScore[] = [];
  const sections: AttemptSectionResult[] = [];
  let score = 0;
  let maxScore = 0;
  let correct = 0;
  let incorrect = 0;
  let provisional = false;

  for (const section of input.sections) {
    let sScore = 0;
    let sMax = 0;
    let sCorrect = 0;
    let sIncorrect = 0;
    let sUnattempted = 0;
    for (const question of section.questions) {
      if (seen.has(question.id)) continue;
      seen.add(question.id);
      const m = effectiveMarks(section, question);
      const submitted = answerOf(input.answers, question.id);
      const verdict = withHintPenalty(judge(input, question, submitted, m), submitted, input.hintPenalty);
      sMax += m.marks;
      sScore += verdict.marks;
      switch (verdict.outcome) {
        case "correct":
        case "partial":
          sCorrect++;
          break;
        case "incorrect":
          sIncorrect++;
          break;
        case "unattempted":
          sUnattempted++;
          break;
        case "pending":
          provisional = true;
          break;
      }
      questions.push({
        questionId: question.id,
        section: section.title,
        outcome: verdict.outcome,
        marksAwarded: verdict.outcome === "pending" ? null : round2(verdict.marks),
        isCorrect: verdict.outcome === "pending" || verdict.outcome === "unattempted" ? null : verdict.outcome === "correct",
        malformed: verdict.malformed,
        maxMarks: m.marks,
      });
    }
    sections.push({
      title: section.title,
      score: round2(sScore),
      maxScore: round2(sMax),
      correct: sCorrect,
      incorrect: sIncorrect,
      unattempted: sUnattempted,
      accuracy: accuracyOf(sCorrect, sIncorrect),
    });
    score += sScore;
    maxScore += sMax;
    correct += sCorrect;
    incorrect += sIncorrect;
  }

  return {
    result: {
      score: round2(score),
      maxScore: round2(maxScore),
      accuracy: accuracyOf(correct, incorrect),
      provisional,
      timeTakenSeconds: Math.max(0, Math.round(input.timeTakenSeconds)),
      sections,
    },
    questions,
  };
}

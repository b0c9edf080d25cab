import type { DatabaseSync } from "node:sqlite";
import { bucketOf, emptyDistribution, scorePercentage } from "../../src/lib/analytics/distribution";
import { allowedSeconds, boundedTimes } from "../../src/lib/exam/time-spent";
import { scoreAttempt, type ScorableSection, type ScoringOutput, type SubmittedAnswer } from "../../src/lib/scoring";

/**
 * What the database should say after every attempt was scored exactly once, worked out again from
 * the answers themselves: each attempt re-scored with the pure scoring rules, and the per-question and
 * per-test statistics summed from those results (the running counters the scoring job maintains).
 */
interface QuestionTotals {
  attempted: number;
  correct: number;
  totalTimeSeconds: number;
}

interface TestTotals {
  attemptCount: number;
  scoreSum: number;
  scoreSumSquares: number;
  minScore: number | null;
  maxScore: number | null;
  distribution: number[];
}

export interface Recomputed {
  attempts: Map<string, ScoringOutput>;
  questions: Map<string, QuestionTotals>;
  tests: Map<string, TestTotals>;
}

interface AttemptRow {
  id: string;
  test_id: string;
  started_at: number;
  deadline_at: number;
  submitted_at: number | null;
}

const json = <T>(text: string | null): T | null => (text === null ? null : (JSON.parse(text) as T));

function paperOf(db: DatabaseSync, testId: string): ScorableSection[] {
  const sections = db
    .prepare("SELECT id, title, marks_per_question, negative_marks FROM test_sections WHERE test_id = ? ORDER BY position")
    .all(testId) as { id: string; title: string; marks_per_question: number | null; negative_marks: number | null }[];
  const questions = db.prepare(
    `SELECT q.id, q.type, q.answer_key, q.options, q.marks, q.negative_marks FROM test_section_questions l
     JOIN questions q ON q.id = l.question_id WHERE l.section_id = ? ORDER BY l.position`,
  );
  return sections.map((section) => ({
    title: section.title,
    marksPerQuestion: section.marks_per_question,
    negativeMarks: section.negative_marks,
    questions: (
      questions.all(section.id) as {
        id: string;
        type: ScorableSection["questions"][number]["type"];
        answer_key: string;
        options: string | null;
        marks: number;
        negative_marks: number;
      }[]
    ).map((q) => ({
      id: q.id,
      type: q.type,
      answerKey: json(q.answer_key)!,
      options: json<string[]>(q.options),
      marks: q.marks,
      negativeMarks: q.negative_marks,
    })),
  }));
}

export function recompute(db: DatabaseSync, attemptIds: readonly string[]): Recomputed {
  const papers = new Map<string, ScorableSection[]>();
  type TestRules = { msq_scoring: "partial" | "all_or_nothing"; hint_penalty: number };
  const tests = new Map<string, TestRules>();
  const answers = db.prepare(
    "SELECT question_id, answer, time_spent_seconds, graded_marks, hint_used_at FROM answers WHERE attempt_id = ?",
  );
  const result: Recomputed = { attempts: new Map(), questions: new Map(), tests: new Map() };
  for (const id of attemptIds) {
    const attempt = db.prepare("SELECT id, test_id, started_at, deadline_at, submitted_at FROM attempts WHERE id = ?").get(id) as
      | AttemptRow
      | undefined;
    if (!attempt || attempt.submitted_at === null) continue; // the checks report attempts never submitted
    if (!papers.has(attempt.test_id)) {
      papers.set(attempt.test_id, paperOf(db, attempt.test_id));
      tests.set(attempt.test_id, db.prepare("SELECT msq_scoring, hint_penalty FROM tests WHERE id = ?").get(attempt.test_id) as TestRules);
    }
    const stored = answers.all(id) as {
      question_id: string;
      answer: string | null;
      time_spent_seconds: number;
      graded_marks: number | null;
      hint_used_at: number | null;
    }[];
    const submitted = new Map<string, SubmittedAnswer>(
      stored.map((row) => [
        row.question_id,
        {
          answer: json(row.answer),
          timeSpentSeconds: row.time_spent_seconds,
          gradedMarks: row.graded_marks,
          hintUsed: row.hint_used_at !== null,
        },
      ]),
    );
    const test = tests.get(attempt.test_id)!;
    const output = scoreAttempt({
      msqScoring: test.msq_scoring,
      hintPenalty: test.hint_penalty,
      sections: papers.get(attempt.test_id)!,
      answers: submitted,
      timeTakenSeconds: Math.max(0, (Math.min(attempt.submitted_at, attempt.deadline_at) - attempt.started_at) / 1000),
    });
    result.attempts.set(id, output);

    const times = boundedTimes(
      output.questions.map((q) => submitted.get(q.questionId)?.timeSpentSeconds ?? 0),
      allowedSeconds({ startedAt: attempt.started_at, deadlineAt: attempt.deadline_at }),
    );
    output.questions.forEach((q, i) => {
      const totals = result.questions.get(q.questionId) ?? { attempted: 0, correct: 0, totalTimeSeconds: 0 };
      totals.attempted += q.outcome === "unattempted" ? 0 : 1;
      totals.correct += q.isCorrect === true ? 1 : 0;
      totals.totalTimeSeconds += times[i]!;
      result.questions.set(q.questionId, totals);
    });
    const { score, maxScore } = output.result;
    const totals = result.tests.get(attempt.test_id) ?? {
      attemptCount: 0,
      scoreSum: 0,
      scoreSumSquares: 0,
      minScore: null,
      maxScore: null,
      distribution: emptyDistribution().counts,
    };
    totals.attemptCount += 1;
    totals.scoreSum += score;
    totals.scoreSumSquares += score * score;
    totals.minScore = Math.min(totals.minScore ?? score, score);
    totals.maxScore = Math.max(totals.maxScore ?? score, score);
    totals.distribution[bucketOf(scorePercentage(score, maxScore))]! += 1;
    result.tests.set(attempt.test_id, totals);
  }
  return result;
}

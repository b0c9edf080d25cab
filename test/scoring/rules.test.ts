import { describe, expect, it } from "vitest";
import { scoreAttempt, type ScorableQuestion, type ScorableSection, type SubmittedAnswer } from "../../src/lib/scoring";
import type { MsqScoringMode } from "../../src/db/schema";

const OPTIONS = ["a", "b", "c", "d"];

const mcq: ScorableQuestion = { id: "mcq", type: "MCQ", options: OPTIONS, answerKey: { correctOption: 2 }, marks: 4, negativeMarks: 1 };
const msq: ScorableQuestion = {
  id: "msq",
  type: "MSQ",
  options: OPTIONS,
  answerKey: { correctOptions: [0, 1, 3] },
  marks: 4,
  negativeMarks: 2,
};
const int: ScorableQuestion = { id: "int", type: "INTEGER", answerKey: { answer: 42 }, marks: 3, negativeMarks: 1 };
const range: ScorableQuestion = { id: "rng", type: "RANGE", answerKey: { min: 1.5, max: 2.5 }, marks: 2, negativeMarks: 0.5 };
const subj: ScorableQuestion = { id: "sub", type: "SUBJECTIVE", answerKey: { rubric: "explain" }, marks: 5, negativeMarks: 0 };

/** Scores one question alone and returns its verdict. */
function one(
  question: ScorableQuestion,
  answer: SubmittedAnswer | undefined,
  opts: { mode?: MsqScoringMode; section?: Partial<ScorableSection> } = {},
) {
  const out = scoreAttempt({
    msqScoring: opts.mode ?? "all_or_nothing",
    sections: [{ title: "S", ...opts.section, questions: [question] }],
    answers: answer === undefined ? {} : { [question.id]: answer },
    timeTakenSeconds: 0,
  });
  return { q: out.questions[0]!, result: out.result };
}

type Row = [name: string, question: ScorableQuestion, answer: unknown, marks: number | null, outcome: string, malformed?: boolean];

const TABLE: Row[] = [
  // MCQ
  ["mcq correct", mcq, 2, 4, "correct"],
  ["mcq wrong", mcq, 1, -1, "incorrect"],
  ["mcq null answer", mcq, null, 0, "unattempted"],
  ["mcq out of range index", mcq, 4, 0, "unattempted", true],
  ["mcq negative index", mcq, -1, 0, "unattempted", true],
  ["mcq fractional index", mcq, 1.5, 0, "unattempted", true],
  ["mcq string answer", mcq, "2", 0, "unattempted", true],
  ["mcq array answer", mcq, [2], 0, "unattempted", true],
  // MSQ all or nothing
  ["msq exact set", msq, [0, 1, 3], 4, "correct"],
  ["msq exact set unordered", msq, [3, 0, 1], 4, "correct"],
  ["msq exact set with duplicates", msq, [0, 0, 1, 3, 3], 4, "correct"],
  ["msq subset (aon)", msq, [0, 1], -2, "incorrect"],
  ["msq with wrong option", msq, [0, 1, 2, 3], -2, "incorrect"],
  ["msq empty array", msq, [], 0, "unattempted"],
  ["msq out of range option", msq, [0, 9], 0, "unattempted", true],
  ["msq non-array", msq, 1, 0, "unattempted", true],
  ["msq string option", msq, ["0"], 0, "unattempted", true],
  // INTEGER
  ["integer exact", int, 42, 3, "correct"],
  ["integer off by one", int, 41, -1, "incorrect"],
  ["integer zero is an answer", int, 0, -1, "incorrect"],
  ["integer fractional", int, 42.5, 0, "unattempted", true],
  ["integer as string", int, "42", 0, "unattempted", true],
  // RANGE
  ["range lower bound inclusive", range, 1.5, 2, "correct"],
  ["range upper bound inclusive", range, 2.5, 2, "correct"],
  ["range inside", range, 2, 2, "correct"],
  ["range below", range, 1.49, -0.5, "incorrect"],
  ["range above", range, 2.51, -0.5, "incorrect"],
  ["range NaN-like string", range, "2", 0, "unattempted", true],
  // SUBJECTIVE
  ["subjective ungraded", subj, "my essay", null, "pending"],
  ["subjective blank", subj, "   ", 0, "unattempted"],
  ["subjective wrong type", subj, 12, 0, "unattempted", true],
];

describe("scoring rules, one question at a time", () => {
  it.each(TABLE)("%s", (_name, question, answer, marks, outcome, malformed = false) => {
    const { q } = one(question, { answer });
    expect(q.outcome).toBe(outcome);
    expect(q.marksAwarded).toBe(marks);
    expect(q.malformed).toBe(malformed);
  });

  it("an answer missing from the map is unattempted", () => {
    expect(one(mcq, undefined).q).toMatchObject({ outcome: "unattempted", marksAwarded: 0, isCorrect: null });
  });
});

describe("MSQ partial marking (JEE Advanced)", () => {
  const table: [string, number[], number, string][] = [
    ["exact set: full marks", [0, 1, 3], 4, "correct"],
    ["two of three correct, none wrong: +2", [0, 3], 2, "partial"],
    ["one correct, none wrong: +1", [1], 1, "partial"],
    ["duplicates count once: +1", [1, 1, 1], 1, "partial"],
    ["any wrong option: negative marks", [0, 2], -2, "incorrect"],
    ["all options including a wrong one: negative", [0, 1, 2, 3], -2, "incorrect"],
  ];
  it.each(table)("%s", (_name, answer, marks, outcome) => {
    const { q } = one(msq, { answer }, { mode: "partial" });
    expect(q.outcome).toBe(outcome);
    expect(q.marksAwarded).toBe(marks);
    expect(q.isCorrect).toBe(outcome === "correct");
  });

  it("partial credit never exceeds the question's full marks", () => {
    const big: ScorableQuestion = { ...msq, answerKey: { correctOptions: [0, 1, 2, 3] }, marks: 2 };
    expect(one(big, { answer: [0, 1, 2] }, { mode: "partial" }).q.marksAwarded).toBe(2);
  });

  it("counts a partial answer as correct for accuracy", () => {
    const { result } = one(msq, { answer: [0] }, { mode: "partial" });
    expect(result.sections[0]).toMatchObject({ correct: 1, incorrect: 0, accuracy: 1, score: 1 });
  });
});

describe("section overrides and mark edge cases", () => {
  it("section marksPerQuestion and negativeMarks override the question's", () => {
    const section = { marksPerQuestion: 10, negativeMarks: 3 };
    expect(one(mcq, { answer: 2 }, { section }).q.marksAwarded).toBe(10);
    expect(one(mcq, { answer: 0 }, { section }).q.marksAwarded).toBe(-3);
    expect(one(mcq, { answer: 2 }, { section }).result.maxScore).toBe(10);
  });

  it("a section override of 0 is honoured (not treated as unset)", () => {
    expect(one(mcq, { answer: 0 }, { section: { negativeMarks: 0 } }).q.marksAwarded).toBe(0);
  });

  it("null overrides fall back to the question's marks", () => {
    expect(one(mcq, { answer: 0 }, { section: { marksPerQuestion: null, negativeMarks: null } }).q.marksAwarded).toBe(-1);
  });

  it("negative marks larger than the marks are applied in full", () => {
    const harsh: ScorableQuestion = { ...mcq, marks: 1, negativeMarks: 5 };
    const { q, result } = one(harsh, { answer: 0 });
    expect(q.marksAwarded).toBe(-5);
    expect(result.score).toBe(-5);
    expect(result.maxScore).toBe(1);
  });

  it("a negative 'negativeMarks' is read as its magnitude", () => {
    expect(one({ ...mcq, negativeMarks: -1 }, { answer: 0 }).q.marksAwarded).toBe(-1);
  });

  it("keeps scores exact to the hundredth", () => {
    const tenth: ScorableQuestion = { ...int, marks: 0.1 };
    const out = scoreAttempt({
      msqScoring: "all_or_nothing",
      sections: [{ title: "S", questions: [tenth, { ...tenth, id: "int2" }, { ...tenth, id: "int3" }] }],
      answers: { int: { answer: 42 }, int2: { answer: 42 }, int3: { answer: 42 } },
      timeTakenSeconds: 0,
    });
    expect(out.result.score).toBe(0.3);
  });
});

describe("subjective grading", () => {
  it("graded marks replace pending, capped at full marks", () => {
    expect(one(subj, { answer: "x", gradedMarks: 3 }).q).toMatchObject({ outcome: "correct", marksAwarded: 3, isCorrect: true });
    expect(one(subj, { answer: "x", gradedMarks: 99 }).q.marksAwarded).toBe(5);
    expect(one(subj, { answer: "x", gradedMarks: 0 }).q).toMatchObject({ outcome: "incorrect", marksAwarded: 0 });
  });

  it("an ungraded answer makes the result provisional and counts in no bucket", () => {
    const { result } = one(subj, { answer: "x" });
    expect(result.provisional).toBe(true);
    expect(result.sections[0]).toMatchObject({ correct: 0, incorrect: 0, unattempted: 0, maxScore: 5, score: 0 });
  });

  it("a blank subjective answer does not make the result provisional", () => {
    expect(one(subj, { answer: "" }).result.provisional).toBe(false);
  });
});

describe("a whole attempt", () => {
  const sections: ScorableSection[] = [
    { title: "Physics", questions: [mcq, msq, int] },
    { title: "Chemistry", marksPerQuestion: 4, negativeMarks: 1, questions: [range, subj] },
  ];

  it("empty answers: all unattempted, score 0, accuracy 0", () => {
    const { result } = scoreAttempt({ msqScoring: "partial", sections, answers: {}, timeTakenSeconds: 12.4 });
    expect(result).toEqual({
      score: 0,
      maxScore: 19,
      accuracy: 0,
      provisional: false,
      timeTakenSeconds: 12,
      sections: [
        { title: "Physics", score: 0, maxScore: 11, correct: 0, incorrect: 0, unattempted: 3, accuracy: 0 },
        { title: "Chemistry", score: 0, maxScore: 8, correct: 0, incorrect: 0, unattempted: 2, accuracy: 0 },
      ],
    });
  });

  it("mixed answers across every type (Map input)", () => {
    const answers = new Map<string, SubmittedAnswer>([
      ["mcq", { answer: 2 }], // +4
      ["msq", { answer: [0, 1] }], // partial +2
      ["int", { answer: 7 }], // -1
      ["rng", { answer: 3 }], // section override: -1
      ["sub", { answer: "essay", gradedMarks: 2.5 }], // +2.5
    ]);
    const { result, questions } = scoreAttempt({ msqScoring: "partial", sections, answers, timeTakenSeconds: 600 });
    expect(result.sections).toEqual([
      { title: "Physics", score: 5, maxScore: 11, correct: 2, incorrect: 1, unattempted: 0, accuracy: 0.6667 },
      { title: "Chemistry", score: 1.5, maxScore: 8, correct: 1, incorrect: 1, unattempted: 0, accuracy: 0.5 },
    ]);
    expect(result).toMatchObject({ score: 6.5, maxScore: 19, accuracy: 0.6, provisional: false, timeTakenSeconds: 600 });
    expect(questions.map((q) => q.outcome)).toEqual(["correct", "partial", "incorrect", "incorrect", "correct"]);
  });

  it("a question listed twice is scored once", () => {
    const { result, questions } = scoreAttempt({
      msqScoring: "all_or_nothing",
      sections: [
        { title: "A", questions: [mcq] },
        { title: "B", questions: [mcq, int] },
      ],
      answers: { mcq: { answer: 2 } },
      timeTakenSeconds: 0,
    });
    expect(questions).toHaveLength(2);
    expect(result.score).toBe(4);
    expect(result.maxScore).toBe(7);
  });

  it("answers to questions outside the test are ignored", () => {
    const { result } = scoreAttempt({
      msqScoring: "all_or_nothing",
      sections: [{ title: "A", questions: [mcq] }],
      answers: { mcq: { answer: 2 }, stranger: { answer: 1 } },
      timeTakenSeconds: 0,
    });
    expect(result.score).toBe(4);
  });

  it("negative time is clamped to zero", () => {
    expect(scoreAttempt({ msqScoring: "partial", sections: [], answers: {}, timeTakenSeconds: -5 }).result.timeTakenSeconds).toBe(0);
  });
});

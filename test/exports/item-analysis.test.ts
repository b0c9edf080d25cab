import { describe, expect, it } from "vitest";
import {
  ItemAnalysis,
  interpretDifficulty,
  interpretDiscrimination,
  type AnswerObservation,
  type AttemptScore,
  type ItemQuestion,
} from "../../src/lib/analytics/item-analysis";
import { QUESTION_TYPES } from "../../src/db/schema";

/** Deterministic pseudo-random numbers in [0, 1) (mulberry32), so every run sees the same data. */
function seededRandom(seed: number): () => number {
  let state = seed >>> 0;
  return () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

function shuffled<T>(items: T[], random: () => number): T[] {
  const copy = [...items];
  for (let i = copy.length - 1; i > 0; i--) {
    const j = Math.floor(random() * (i + 1));
    [copy[i], copy[j]] = [copy[j]!, copy[i]!];
  }
  return copy;
}

function observation(
  attemptId: string,
  questionId: string,
  answer: unknown,
  isCorrect: boolean | null,
  marks: number | null,
  timeSpentSeconds: number,
): AnswerObservation {
  return { attemptId, questionId, answer, isCorrect, marks, timeSpentSeconds };
}

function analyse(questions: ItemQuestion[], attempts: AttemptScore[], observations: AnswerObservation[]) {
  const analysis = new ItemAnalysis(questions, attempts);
  for (const o of observations) analysis.add(o);
  return analysis;
}

const MCQ: ItemQuestion = { id: "q-mcq", type: "MCQ", optionCount: 4, marks: 4 };
const MSQ: ItemQuestion = { id: "q-msq", type: "MSQ", optionCount: 4, marks: 4 };
const SUBJECTIVE: ItemQuestion = { id: "q-sub", type: "SUBJECTIVE", optionCount: 0, marks: 4 };
const INTEGER: ItemQuestion = { id: "q-int", type: "INTEGER", optionCount: 0, marks: 3 };
const RANGE: ItemQuestion = { id: "q-rng", type: "RANGE", optionCount: 0, marks: 2 };
const QUESTIONS = [MCQ, MSQ, SUBJECTIVE, INTEGER, RANGE];

/**
 * Ten examinees (totals include questions not analysed here). Sorted by score, ties by id:
 *   a01 30, a02 28, a03 25, a04 25, a05 20, a06 18, a07 12, a08 12, a09 12, a10 5
 * n = round(0.27 × 10) = round(2.7) = 3.
 *   Upper = a01, a02, a03 (a03 beats a04, tied on 25, by id)
 *   Lower = a08, a09, a10 (a07, tied with them on 12, sorts first and stays in the middle)
 * Passed in a scrambled order to show the constructor sorts.
 */
const ATTEMPTS: AttemptScore[] = [
  { attemptId: "a07", score: 12 },
  { attemptId: "a04", score: 25 },
  { attemptId: "a10", score: 5 },
  { attemptId: "a01", score: 30 },
  { attemptId: "a09", score: 12 },
  { attemptId: "a03", score: 25 },
  { attemptId: "a06", score: 18 },
  { attemptId: "a02", score: 28 },
  { attemptId: "a08", score: 12 },
  { attemptId: "a05", score: 20 },
];

const OBSERVATIONS: AnswerObservation[] = [
  // MCQ, key = option 2 (+4 / −1). a07 visited and cleared its answer; a10 has no row.
  observation("a01", "q-mcq", 2, true, 4, 30),
  observation("a02", "q-mcq", 2, true, 4, 40),
  observation("a03", "q-mcq", 1, false, -1, 50),
  observation("a04", "q-mcq", 2, true, 4, 20),
  observation("a05", "q-mcq", 0, false, -1, 60),
  observation("a06", "q-mcq", 2, true, 4, 30),
  observation("a07", "q-mcq", null, null, null, 12),
  observation("a08", "q-mcq", 3, false, -1, 10),
  observation("a09", "q-mcq", 2, true, 4, 40),

  // MSQ, key = {0, 2}. a02's [0] is partial (positive marks, but not correct); a06 has no row.
  observation("a01", "q-msq", [0, 2], true, 4, 10),
  observation("a02", "q-msq", [0], false, 2, 20),
  observation("a03", "q-msq", [0, 2], true, 4, 30),
  observation("a04", "q-msq", [1], false, -2, 40),
  observation("a05", "q-msq", [0, 2], true, 4, 50),
  observation("a07", "q-msq", [0, 1, 2], false, -2, 60),
  observation("a08", "q-msq", [0, 2], true, 4, 70),
  observation("a09", "q-msq", [3], false, -2, 80),
  observation("a10", "q-msq", [0, 2], true, 4, 91),

  // SUBJECTIVE out of 4. a03 was over-marked (5), a07 given −1, a05 not graded yet; a10 has no row.
  observation("a01", "q-sub", "essay", true, 4, 100),
  observation("a02", "q-sub", "essay", true, 3, 100),
  observation("a03", "q-sub", "essay", true, 5, 100),
  observation("a04", "q-sub", "essay", true, 2, 100),
  observation("a05", "q-sub", "essay", null, null, 190),
  observation("a06", "q-sub", "essay", true, 1, 100),
  observation("a07", "q-sub", "essay", false, -1, 100),
  observation("a08", "q-sub", "essay", true, 2, 100),
  observation("a09", "q-sub", "essay", true, 1, 100),

  // INTEGER: nobody answered; a03 looked at it for 15 s and left it blank.
  observation("a03", "q-int", null, null, null, 15),

  // RANGE: the top scorers a01, a02 (and a04) got it wrong, everyone else right (+2 / −0.5).
  observation("a01", "q-rng", 1, false, -0.5, 6),
  observation("a02", "q-rng", 1, false, -0.5, 6),
  observation("a03", "q-rng", 2, true, 2, 6),
  observation("a04", "q-rng", 1, false, -0.5, 6),
  observation("a05", "q-rng", 2, true, 2, 6),
  observation("a06", "q-rng", 2, true, 2, 6),
  observation("a07", "q-rng", 2, true, 2, 6),
  observation("a08", "q-rng", 2, true, 2, 6),
  observation("a09", "q-rng", 2, true, 2, 6),
  observation("a10", "q-rng", 2, true, 2, 6),
];

describe("ItemAnalysis: a hand-computed test of ten examinees", () => {
  const analysis = analyse(QUESTIONS, ATTEMPTS, OBSERVATIONS);
  const [mcq, msq, subjective, integer, range] = analysis.result();

  it("forms upper and lower groups of 3 (27% of 10)", () => {
    expect(analysis.groupSize).toBe(3);
    expect(analysis.result().map((s) => s.questionId)).toEqual(["q-mcq", "q-msq", "q-sub", "q-int", "q-rng"]);
  });

  it("MCQ: p = 0.5, D = 0.333, option counts", () => {
    // Correct: a01 a02 a04 a06 a09 = 5 of 10 examinees (a10 has no row, a07 cleared) → p = 5/10 = 0.5
    // Upper a01 ✓ a02 ✓ a03 ✗ → U = 2; lower a08 ✗ a09 ✓ a10 (none) → L = 1; D = (2 − 1)/3 = 0.333
    // Chosen: option 0 a05; option 1 a03; option 2 a01 a02 a04 a06 a09; option 3 a08 → [1, 1, 5, 1]
    // Time over the 8 who answered (a07's 12 s does not count): (30+40+50+20+60+30+10+40)/8 = 280/8 = 35
    expect(mcq).toEqual({
      questionId: "q-mcq",
      examinees: 10,
      answered: 8,
      correct: 5,
      difficultyIndex: 0.5,
      discriminationIndex: 0.333,
      upperCorrect: 2,
      lowerCorrect: 1,
      optionCounts: [1, 1, 5, 1],
      averageTimeSeconds: 35,
    });
    expect(interpretDifficulty(mcq!.difficultyIndex)).toBe("moderate");
    expect(interpretDiscrimination(mcq!.discriminationIndex)).toBe("good");
  });

  it("MSQ: a partial answer scores 0; D = 0; each option counted per answer that includes it", () => {
    // Correct (exactly {0, 2}): a01 a03 a05 a08 a10 = 5 → p = 5/10 = 0.5 (a02's partial [0] scores 0)
    // Upper a01 ✓ a02 ✗ a03 ✓ → U = 2; lower a08 ✓ a09 ✗ a10 ✓ → L = 2; D = (2 − 2)/3 = 0
    // Option 0: a01 a02 a03 a05 a07 a08 a10 = 7; 1: a04 a07 = 2; 2: a01 a03 a05 a07 a08 a10 = 6; 3: a09 = 1
    // Time over the 9 who answered: (10+20+30+40+50+60+70+80+91)/9 = 451/9 = 50.11 → 50.1
    expect(msq).toEqual({
      questionId: "q-msq",
      examinees: 10,
      answered: 9,
      correct: 5,
      difficultyIndex: 0.5,
      discriminationIndex: 0,
      upperCorrect: 2,
      lowerCorrect: 2,
      optionCounts: [7, 2, 6, 1],
      averageTimeSeconds: 50.1,
    });
    expect(interpretDiscrimination(msq!.discriminationIndex)).toBe("poor");
  });

  it("SUBJECTIVE: partial marks as a fraction of full marks, clamped to [0, 1]", () => {
    // Item score = clamp(marks / 4, 0, 1):
    //   a01 4/4 = 1, a02 3/4 = 0.75, a03 5/4 → 1, a04 2/4 = 0.5, a05 ungraded → 0,
    //   a06 1/4 = 0.25, a07 −1/4 → 0, a08 2/4 = 0.5, a09 1/4 = 0.25, a10 no row → 0
    // p = (1 + 0.75 + 1 + 0.5 + 0 + 0.25 + 0 + 0.5 + 0.25 + 0)/10 = 4.25/10 = 0.425
    // U = a01 1 + a02 0.75 + a03 1 = 2.75; L = a08 0.5 + a09 0.25 + a10 0 = 0.75; D = (2.75 − 0.75)/3 = 0.667
    // Full marks: a01 and a03 (clamped) → correct = 2. Time: (8 × 100 + 190)/9 = 990/9 = 110
    expect(subjective).toEqual({
      questionId: "q-sub",
      examinees: 10,
      answered: 9,
      correct: 2,
      difficultyIndex: 0.425,
      discriminationIndex: 0.667,
      upperCorrect: 2.75,
      lowerCorrect: 0.75,
      optionCounts: null,
      averageTimeSeconds: 110,
    });
    expect(interpretDiscrimination(subjective!.discriminationIndex)).toBe("excellent");
  });

  it("a question nobody answered: p = 0, D = 0, no average time", () => {
    // Every examinee scores 0: p = 0/10 = 0, D = (0 − 0)/3 = 0; a03's 15 s on a blank answer does not count.
    expect(integer).toEqual({
      questionId: "q-int",
      examinees: 10,
      answered: 0,
      correct: 0,
      difficultyIndex: 0,
      discriminationIndex: 0,
      upperCorrect: 0,
      lowerCorrect: 0,
      optionCounts: null,
      averageTimeSeconds: null,
    });
    expect(interpretDifficulty(integer!.difficultyIndex)).toBe("hard");
  });

  it("negative discrimination: the weaker examinees do better", () => {
    // Correct: a03 a05 a06 a07 a08 a09 a10 = 7 → p = 0.7 (wrong answers' −0.5 marks count as 0, not negative)
    // Upper a01 ✗ a02 ✗ a03 ✓ → U = 1; lower a08 ✓ a09 ✓ a10 ✓ → L = 3; D = (1 − 3)/3 = −0.667
    expect(range).toEqual({
      questionId: "q-rng",
      examinees: 10,
      answered: 10,
      correct: 7,
      difficultyIndex: 0.7,
      discriminationIndex: -0.667,
      upperCorrect: 1,
      lowerCorrect: 3,
      optionCounts: null,
      averageTimeSeconds: 6,
    });
    expect(interpretDiscrimination(range!.discriminationIndex)).toBe("negative");
  });
});

describe("ItemAnalysis: small groups", () => {
  const question: ItemQuestion = { id: "q", type: "INTEGER", optionCount: 0, marks: 1 };
  const correct = (attemptId: string) => observation(attemptId, "q", 7, true, 1, 10);

  it("N = 0: no groups, and nulls rather than NaN", () => {
    const analysis = analyse([question], [], [correct("nobody")]);
    expect(analysis.groupSize).toBe(0);
    expect(analysis.result()).toEqual([
      {
        questionId: "q",
        examinees: 0,
        answered: 0,
        correct: 0,
        difficultyIndex: null,
        discriminationIndex: null,
        upperCorrect: 0,
        lowerCorrect: 0,
        optionCounts: null,
        averageTimeSeconds: null,
      },
    ]);
  });

  it("N = 1: a difficulty but no discrimination", () => {
    const analysis = analyse([question], [{ attemptId: "solo", score: 1 }], [correct("solo")]);
    expect(analysis.groupSize).toBe(0);
    const [stats] = analysis.result();
    expect(stats).toMatchObject({
      examinees: 1,
      correct: 1,
      difficultyIndex: 1,
      discriminationIndex: null,
      upperCorrect: 0,
      lowerCorrect: 0,
    });
  });

  it("N = 2: one examinee in each group, split by id when the scores tie", () => {
    const attempts = [
      { attemptId: "b", score: 10 },
      { attemptId: "a", score: 10 },
    ];
    const analysis = analyse([question], attempts, [correct("a")]);
    expect(analysis.groupSize).toBe(1);
    // Upper = a (tie broken by id), lower = b: D = (1 − 0)/1 = 1
    expect(analysis.result()[0]).toMatchObject({ upperCorrect: 1, lowerCorrect: 0, discriminationIndex: 1, difficultyIndex: 0.5 });
  });

  it("N = 3: the middle examinee is in neither group", () => {
    const attempts = [
      { attemptId: "top", score: 3 },
      { attemptId: "middle", score: 2 },
      { attemptId: "bottom", score: 1 },
    ];
    const analysis = analyse([question], attempts, [correct("middle")]);
    expect(analysis.groupSize).toBe(1);
    // p = 1/3 = 0.333; U = 0 (top), L = 0 (bottom) → D = 0
    expect(analysis.result()[0]).toMatchObject({ upperCorrect: 0, lowerCorrect: 0, discriminationIndex: 0, difficultyIndex: 0.333 });
  });

  it("the groups never overlap", () => {
    for (let examinees = 0; examinees <= 500; examinees++) {
      const attempts = Array.from({ length: examinees }, (_, i) => ({ attemptId: `a${i}`, score: i % 7 }));
      const { groupSize } = new ItemAnalysis([question], attempts);
      expect(2 * groupSize).toBeLessThanOrEqual(examinees);
      expect(groupSize).toBe(Math.round(0.27 * examinees));
    }
  });
});

describe("ItemAnalysis: streaming", () => {
  it("gives the same result whatever the order of the observations", () => {
    const expected = analyse(QUESTIONS, ATTEMPTS, OBSERVATIONS).result();
    const random = seededRandom(1);
    expect(analyse(QUESTIONS, ATTEMPTS, [...OBSERVATIONS].reverse()).result()).toEqual(expected);
    for (let round = 0; round < 20; round++) {
      expect(analyse(QUESTIONS, shuffled(ATTEMPTS, random), shuffled(OBSERVATIONS, random)).result()).toEqual(expected);
    }
  });

  it("gives the same result for random data with fractional marks in any order", () => {
    const random = seededRandom(2);
    const { questions, attempts, observations } = randomTest(random, 200, 12);
    const expected = analyse(questions, attempts, observations).result();
    for (let round = 0; round < 5; round++) {
      expect(analyse(questions, attempts, shuffled(observations, random)).result()).toEqual(expected);
    }
  });

  it("ignores unknown attempt and question ids", () => {
    const expected = analyse(QUESTIONS, ATTEMPTS, OBSERVATIONS).result();
    const strays = [
      observation("ghost", "q-mcq", 2, true, 4, 30),
      observation("a01", "q-ghost", 2, true, 4, 30),
      observation("ghost", "q-ghost", 2, true, 4, 30),
    ];
    expect(analyse(QUESTIONS, ATTEMPTS, [...strays, ...OBSERVATIONS, ...strays]).result()).toEqual(expected);
  });

  it("counts a repeated (attempt, question) pair once", () => {
    const expected = analyse(QUESTIONS, ATTEMPTS, OBSERVATIONS).result();
    expect(analyse(QUESTIONS, ATTEMPTS, [...OBSERVATIONS, ...OBSERVATIONS]).result()).toEqual(expected);
  });

  it("keeps the first of a question or attempt listed twice", () => {
    const analysis = analyse(
      [MCQ, { ...MCQ, optionCount: 9 }],
      [...ATTEMPTS, { attemptId: "a10", score: 99 }],
      OBSERVATIONS.filter((o) => o.questionId === "q-mcq"),
    );
    expect(analysis.groupSize).toBe(3);
    expect(analysis.result()).toEqual([analyse(QUESTIONS, ATTEMPTS, OBSERVATIONS).result()[0]]);
  });

  it("skips option indexes that are out of range or not whole numbers, without crashing", () => {
    const attempts = ["a", "b", "c", "d", "e", "f"].map((attemptId, i) => ({ attemptId, score: i }));
    const analysis = analyse([MCQ, MSQ], attempts, [
      observation("a", "q-mcq", 4, false, 0, 1),
      observation("b", "q-mcq", -1, false, 0, 1),
      observation("c", "q-mcq", 1.5, false, 0, 1),
      observation("d", "q-mcq", "2", false, 0, 1),
      observation("e", "q-mcq", [2], false, 0, 1),
      observation("f", "q-mcq", 3, true, 4, 1),
      observation("a", "q-msq", [0, 0, 9, -1, "1", 2.5], false, 0, 1),
      observation("b", "q-msq", "0", false, 0, 1),
      observation("c", "q-msq", [], false, 0, 1),
    ]);
    const [mcq, msq] = analysis.result();
    // Malformed answers still count as answered; only the valid indexes are tallied.
    expect(mcq).toMatchObject({ answered: 6, correct: 1, optionCounts: [0, 0, 0, 1] });
    expect(msq).toMatchObject({ answered: 3, correct: 0, optionCounts: [1, 0, 0, 0] });
  });

  it("handles 5,000 attempts × 90 questions", () => {
    const { questions, attempts, observations } = randomTest(seededRandom(3), 5_000, 90);
    const analysis = new ItemAnalysis(questions, attempts);
    for (const o of observations) analysis.add(o);
    const result = analysis.result();
    expect(analysis.groupSize).toBe(1_350);
    expect(result).toHaveLength(90);
    for (const stats of result) {
      expect(stats.examinees).toBe(5_000);
      expect(stats.answered).toBeLessThanOrEqual(5_000);
      expect(stats.difficultyIndex).toBeGreaterThanOrEqual(0);
      expect(stats.difficultyIndex).toBeLessThanOrEqual(1);
      expect(stats.discriminationIndex).toBeGreaterThanOrEqual(-1);
      expect(stats.discriminationIndex).toBeLessThanOrEqual(1);
      if (stats.optionCounts) expect(Math.max(...stats.optionCounts)).toBeLessThanOrEqual(stats.answered);
    }
  });
});

describe("interpretation labels", () => {
  it("bands discrimination by Ebel's thresholds", () => {
    expect(interpretDiscrimination(null)).toBe("n/a");
    expect(interpretDiscrimination(1)).toBe("excellent");
    expect(interpretDiscrimination(0.4)).toBe("excellent");
    expect(interpretDiscrimination(0.399)).toBe("good");
    expect(interpretDiscrimination(0.3)).toBe("good");
    expect(interpretDiscrimination(0.299)).toBe("fair");
    expect(interpretDiscrimination(0.2)).toBe("fair");
    expect(interpretDiscrimination(0.199)).toBe("poor");
    expect(interpretDiscrimination(0)).toBe("poor");
    expect(interpretDiscrimination(-0.001)).toBe("negative");
  });

  it("bands difficulty by proportion correct", () => {
    expect(interpretDifficulty(null)).toBe("n/a");
    expect(interpretDifficulty(0)).toBe("hard");
    expect(interpretDifficulty(0.299)).toBe("hard");
    expect(interpretDifficulty(0.3)).toBe("moderate");
    expect(interpretDifficulty(0.8)).toBe("moderate");
    expect(interpretDifficulty(0.801)).toBe("easy");
    expect(interpretDifficulty(1)).toBe("easy");
  });
});

/**
 * A random test: questions of every type, attempts whose total score is the sum of their marks (so
 * the items discriminate), and about 85% of the (attempt, question) pairs with an answer row.
 * Subjective marks come in quarter marks out of 3, twelfths of full marks that binary cannot hold exactly.
 */
function randomTest(random: () => number, attemptCount: number, questionCount: number) {
  const questions: ItemQuestion[] = Array.from({ length: questionCount }, (_, i) => {
    const type = QUESTION_TYPES[i % QUESTION_TYPES.length]!;
    const isChoice = type === "MCQ" || type === "MSQ";
    return { id: `q${i}`, type, optionCount: isChoice ? 4 : 0, marks: type === "SUBJECTIVE" ? 3 : 4 };
  });
  const observations: AnswerObservation[] = [];
  const attempts: AttemptScore[] = [];
  for (let a = 0; a < attemptCount; a++) {
    const attemptId = `att${a}`;
    const ability = random();
    let score = 0;
    for (const question of questions) {
      if (random() < 0.15) continue;
      const answered = random() < 0.9;
      const right = answered && random() < ability;
      let answer: unknown = null;
      let marks: number | null = null;
      if (answered) {
        if (question.type === "SUBJECTIVE") {
          answer = "text";
          marks = random() < 0.1 ? null : Math.round(ability * 12 * random()) / 4;
        } else {
          answer = question.type === "MSQ" ? [0, 1, 2, 3].filter(() => random() < 0.5) : Math.floor(random() * 4);
          marks = right ? question.marks : -1;
        }
      }
      score += marks ?? 0;
      observations.push(observation(attemptId, question.id, answer, answered ? right : null, marks, Math.floor(random() * 120)));
    }
    attempts.push({ attemptId, score });
  }
  return { questions, attempts, observations };
}

import { expect } from "vitest";
import { createUser, type TestUser } from "../helpers/auth";
import { sendJson, call } from "../helpers/http";

type Headers = Record<string, string>;

/** One valid body per question type. */
export const SAMPLE_QUESTIONS = {
  MCQ: {
    type: "MCQ",
    body: "<p>2 + 2 = ?</p>",
    options: ["3", "4", "5", "22"],
    correctOption: 1,
    marks: 4,
    negativeMarks: 1,
    difficulty: "easy",
    subject: "Maths",
    topic: "Arithmetic",
    explanation: "Basic addition.",
  },
  MSQ: {
    type: "MSQ",
    body: "Which are prime?",
    options: ["2", "4", "5", "9"],
    correctOptions: [0, 2],
    marks: 4,
    negativeMarks: 2,
    difficulty: "medium",
    subject: "Maths",
    topic: "Primes",
  },
  INTEGER: { type: "INTEGER", body: "How many sides has a hexagon?", answer: 6, marks: 3, subject: "Maths", topic: "Geometry" },
  RANGE: {
    type: "RANGE",
    body: "g in m/s² (2 d.p.)",
    min: 9.7,
    max: 9.9,
    marks: 3,
    negativeMarks: 0.5,
    subject: "Physics",
    topic: "Gravity",
  },
  SUBJECTIVE: {
    type: "SUBJECTIVE",
    body: "Explain inertia.",
    rubric: "Mentions Newton's first law.",
    marks: 5,
    subject: "Physics",
    topic: "Mechanics",
    difficulty: "hard",
  },
} as const;

export type SampleType = keyof typeof SAMPLE_QUESTIONS;

export async function json<T = Record<string, any>>(res: Response): Promise<T> {
  return (await res.json()) as T;
}

export async function createQuestion(headers: Headers, type: SampleType = "MCQ", overrides: Record<string, unknown> = {}) {
  const res = await sendJson("/v1/questions", "POST", { ...SAMPLE_QUESTIONS[type], ...overrides }, headers);
  expect(res.status, await res.clone().text()).toBe(201);
  return json(res);
}

/** A published test with one section per entry of `sections` (lists of question ids). */
export async function createTest(headers: Headers, sections: string[][], overrides: Record<string, unknown> = {}) {
  const res = await sendJson(
    "/v1/tests",
    "POST",
    {
      title: "Mock test",
      description: "<p>Practice</p>",
      durationMinutes: 30,
      sections: sections.map((questionIds, i) => ({ title: `Section ${i + 1}`, questionIds })),
      msqScoring: "all_or_nothing",
      published: true,
      ...overrides,
    },
    headers,
  );
  expect(res.status, await res.clone().text()).toBe(201);
  return json(res);
}

/** An instructor's published test holding one question of every type. */
export async function createFullTest(headers: Headers, overrides: Record<string, unknown> = {}) {
  const ids: Record<SampleType, string> = {} as Record<SampleType, string>;
  for (const type of Object.keys(SAMPLE_QUESTIONS) as SampleType[]) ids[type] = (await createQuestion(headers, type)).id;
  const test = await createTest(
    headers,
    [
      [ids.MCQ, ids.MSQ],
      [ids.INTEGER, ids.RANGE, ids.SUBJECTIVE],
    ],
    overrides,
  );
  return { test, ids };
}

export async function startAttempt(headers: Headers, testId: string) {
  const res = await call(`/v1/tests/${testId}/attempts`, { method: "POST", headers });
  expect(res.status, await res.clone().text()).toBe(201);
  return json(res);
}

export function answer(headers: Headers, attemptId: string, questionId: string, value: unknown) {
  return sendJson(`/v1/attempts/${attemptId}/answers/${questionId}`, "PUT", { answer: value }, headers);
}

export function submit(headers: Headers, attemptId: string) {
  return call(`/v1/attempts/${attemptId}/submit`, { method: "POST", headers });
}

export function get(path: string, headers: Headers) {
  return call(path, { headers });
}

export interface Cast {
  instructor: TestUser;
  otherInstructor: TestUser;
  admin: TestUser;
  student: TestUser;
  otherStudent: TestUser;
}

/** The people the exam tests need: two instructors and two students (to test access between them), and an admin. */
export async function createCast(): Promise<Cast> {
  const [instructor, otherInstructor, admin, student, otherStudent] = await Promise.all([
    createUser({ role: "instructor" }),
    createUser({ role: "instructor" }),
    createUser({ role: "admin" }),
    createUser(),
    createUser(),
  ]);
  return { instructor: instructor!, otherInstructor: otherInstructor!, admin: admin!, student: student!, otherStudent: otherStudent! };
}

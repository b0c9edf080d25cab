import { z } from "zod";
import { MSQ_SCORING_MODES } from "../../db/schema";
import { plainText, richText } from "./text";

const MAX_SECTIONS = 20;
const MAX_QUESTIONS_PER_SECTION = 200;
const MAX_QUESTIONS_PER_TEST = 300;

const questionId = z.string().regex(/^qst_[0-9A-Z]{26}$/, "Expected a question id (qst_…)");
const marks = z.number().finite().min(0).max(1000);

const sectionInput = z.strictObject({
  title: plainText({ max: 200 }),
  questionIds: z.array(questionId).min(1).max(MAX_QUESTIONS_PER_SECTION),
  /** Overrides each question's own marks when given. */
  marksPerQuestion: marks.nullish(),
  /** Overrides each question's own negative marks when given. */
  negativeMarks: marks.nullish(),
});
export type SectionInput = z.infer<typeof sectionInput>;

const sections = z
  .array(sectionInput)
  .min(1)
  .max(MAX_SECTIONS)
  .superRefine((list, ctx) => {
    const seen = new Set<string>();
    let total = 0;
    for (const [s, section] of list.entries()) {
      for (const [q, id] of section.questionIds.entries()) {
        total++;
        if (seen.has(id))
          ctx.addIssue({ code: "custom", path: [s, "questionIds", q], message: "A question may appear only once in a test" });
        seen.add(id);
      }
    }
    if (total > MAX_QUESTIONS_PER_TEST) {
      ctx.addIssue({ code: "custom", path: [], message: `A test holds at most ${MAX_QUESTIONS_PER_TEST} questions` });
    }
  });

const title = plainText({ max: 200 });
const description = richText({ max: 10_000, min: 0 }).nullish();
const durationMinutes = z
  .number()
  .int()
  .min(1)
  .max(24 * 60);

/** The share of an answer's marks its hint costs: 0 (free) to 1 (the marks are lost). */
const hintPenalty = z.number().min(0).max(1);

export const testInput = z.strictObject({
  title,
  description,
  durationMinutes,
  sections,
  msqScoring: z.enum(MSQ_SCORING_MODES).default("all_or_nothing"),
  autoAcceptAiGrades: z.boolean().default(false),
  allowHints: z.boolean().default(false),
  hintPenalty: hintPenalty.default(0),
  published: z.boolean().default(false),
});
export type TestInput = z.infer<typeof testInput>;

export const testPatch = z
  .strictObject({
    title,
    description,
    durationMinutes,
    sections,
    msqScoring: z.enum(MSQ_SCORING_MODES),
    autoAcceptAiGrades: z.boolean(),
    allowHints: z.boolean(),
    hintPenalty,
    published: z.boolean(),
  })
  .partial()
  .refine((value) => Object.keys(value).length > 0, "Send at least one field to change");
export type TestPatch = z.infer<typeof testPatch>;

export const testListQuery = z.object({
  published: z.enum(["true", "false"]).optional(),
  limit: z.coerce.number().int().min(1).max(100).default(20),
  cursor: z.string().max(512).optional(),
});

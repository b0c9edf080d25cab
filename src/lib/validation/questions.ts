import { z } from "zod";
import { DIFFICULTIES, QUESTION_STATUSES, QUESTION_TYPES } from "../../db/schema";
import { plainText, richText } from "./text";

const MAX_OPTIONS = 10;
const MAX_BODY_CHARS = 20_000;
const MAX_OPTION_CHARS = 2_000;
const MAX_EXPLANATION_CHARS = 20_000;
const MAX_RUBRIC_CHARS = 5_000;

const marks = z.number().finite().min(0).max(1000);
const uploadId = z.string().regex(/^upl_[0-9A-Z]{26}$/, "Expected an upload id (upl_…)");

/** Fields every question type shares. */
const common = {
  body: richText({ max: MAX_BODY_CHARS }),
  marks: marks.default(1),
  /** Deducted for a wrong answer, given as a positive number. */
  negativeMarks: marks.default(0),
  difficulty: z.enum(DIFFICULTIES).default("medium"),
  subject: plainText({ max: 100 }),
  topic: plainText({ max: 100 }).nullish(),
  explanation: richText({ max: MAX_EXPLANATION_CHARS }).nullish(),
  imageUploadId: uploadId.nullish(),
};

const options = z
  .array(richText({ max: MAX_OPTION_CHARS }))
  .min(2)
  .max(MAX_OPTIONS);

function uniqueOptions(value: { options: string[] }, ctx: z.RefinementCtx) {
  const seen = new Set<string>();
  value.options.forEach((option, i) => {
    if (seen.has(option)) ctx.addIssue({ code: "custom", path: ["options", i], message: "Duplicate option" });
    seen.add(option);
  });
}

const mcq = z
  .strictObject({ type: z.literal("MCQ"), ...common, options, correctOption: z.number().int().min(0) })
  .superRefine((value, ctx) => {
    uniqueOptions(value, ctx);
    if (value.correctOption >= value.options.length) {
      ctx.addIssue({ code: "custom", path: ["correctOption"], message: `Must be an index into options (0–${value.options.length - 1})` });
    }
  });

const msq = z
  .strictObject({
    type: z.literal("MSQ"),
    ...common,
    options,
    correctOptions: z.array(z.number().int().min(0)).min(1).max(MAX_OPTIONS),
  })
  .superRefine((value, ctx) => {
    uniqueOptions(value, ctx);
    const seen = new Set<number>();
    value.correctOptions.forEach((index, i) => {
      if (index >= value.options.length) {
        ctx.addIssue({
          code: "custom",
          path: ["correctOptions", i],
          message: `Must be an index into options (0–${value.options.length - 1})`,
        });
      }
      if (seen.has(index)) ctx.addIssue({ code: "custom", path: ["correctOptions", i], message: "Duplicate index" });
      seen.add(index);
    });
  });

const integer = z.strictObject({
  type: z.literal("INTEGER"),
  ...common,
  answer: z.number().int().min(-1e12).max(1e12),
});

const range = z
  .strictObject({ type: z.literal("RANGE"), ...common, min: z.number().finite(), max: z.number().finite() })
  .superRefine((value, ctx) => {
    if (value.min > value.max) ctx.addIssue({ code: "custom", path: ["max"], message: "max must be ≥ min" });
  });

const subjective = z.strictObject({
  type: z.literal("SUBJECTIVE"),
  ...common,
  rubric: richText({ max: MAX_RUBRIC_CHARS }).nullish(),
});

/** A question as clients send it: one dialect, the type selects the answer fields. */
export const questionInput = z.discriminatedUnion("type", [mcq, msq, integer, range, subjective]);
export type QuestionInput = z.infer<typeof questionInput>;

/**
 * PATCH body: any subset of the fields. The route merges it onto the stored question and validates
 * the result with `questionInput`, so type-specific rules hold after every edit.
 */
export const questionPatch = z
  .strictObject({
    type: z.enum(QUESTION_TYPES),
    body: z.unknown(),
    marks: z.unknown(),
    negativeMarks: z.unknown(),
    difficulty: z.unknown(),
    subject: z.unknown(),
    topic: z.unknown(),
    explanation: z.unknown(),
    imageUploadId: z.unknown(),
    options: z.unknown(),
    correctOption: z.unknown(),
    correctOptions: z.unknown(),
    answer: z.unknown(),
    min: z.unknown(),
    max: z.unknown(),
    rubric: z.unknown(),
  })
  .partial()
  .refine((value) => Object.keys(value).length > 0, "Send at least one field to change");
export type QuestionPatch = z.infer<typeof questionPatch>;

export const questionListQuery = z.object({
  subject: plainText({ max: 100 }).optional(),
  topic: plainText({ max: 100 }).optional(),
  type: z.enum(QUESTION_TYPES).optional(),
  difficulty: z.enum(DIFFICULTIES).optional(),
  status: z.enum(QUESTION_STATUSES).optional(),
  q: plainText({ max: 200 }).optional(),
  limit: z.coerce.number().int().min(1).max(100).default(20),
  cursor: z.string().max(512).optional(),
});

export const MAX_IMPORT_ROWS = 500;

/** Bulk import: rows inline, CSV text inline, or a file uploaded earlier (CSV or JSON). */
export const questionImportInput = z.union([
  z.strictObject({ questions: z.array(z.unknown()).min(1).max(MAX_IMPORT_ROWS) }),
  z.strictObject({ csv: z.string().min(1).max(2_000_000) }),
  z.strictObject({ uploadId }),
]);
export type QuestionImportInput = z.infer<typeof questionImportInput>;

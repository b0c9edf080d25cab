import { z } from "zod";
import { MSQ_SCORING_MODES } from "../../db/schema";
import { isoDateTime, prefixedId } from "./primitives";

/** A test in a list: no sections (src/lib/exam/tests.ts). */
export const testSummarySchema = z
  .object({
    id: prefixedId("test"),
    authorId: prefixedId("user"),
    title: z.string(),
    description: z.string().nullable(),
    durationMinutes: z.number().int(),
    msqScoring: z.enum(MSQ_SCORING_MODES),
    autoAcceptAiGrades: z.boolean().meta({ description: "AI-suggested grades of written answers apply without review (docs/ai.md)." }),
    allowHints: z.boolean().meta({ description: "Candidates may ask for a question's hint during an attempt." }),
    hintPenalty: z.number().meta({ description: "The share (0–1) of an answer's marks its hint costs." }),
    published: z.boolean(),
    publishedAt: isoDateTime.nullable(),
    createdAt: isoDateTime,
    updatedAt: isoDateTime,
  })
  .meta({ id: "TestSummary" });

const sectionFields = {
  id: prefixedId("section"),
  title: z.string(),
  marksPerQuestion: z.number().nullable().meta({ description: "Overrides each question's marks when set." }),
  negativeMarks: z.number().nullable(),
  questionCount: z.number().int(),
  maxScore: z.number(),
};

/**
 * A test with its sections. Its managers (author, admins) also get each section's `questionIds`;
 * candidates do not, since the questions arrive when an attempt starts.
 */
export const testSchema = testSummarySchema
  .extend({
    questionCount: z.number().int(),
    maxScore: z.number(),
    sections: z.array(
      z.object({
        ...sectionFields,
        questionIds: z.array(prefixedId("question")).optional().meta({ description: "For the test's managers only." }),
      }),
    ),
  })
  .meta({ id: "Test" });

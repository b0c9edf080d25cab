import { z } from "zod";
import { DIFFICULTIES, QUESTION_STATUSES, QUESTION_TYPES } from "../../db/schema";
import { isoDateTime, prefixedId } from "./primitives";

/** Answer fields by type: MCQ `options` + `correctOption`, MSQ `options` + `correctOptions`, INTEGER `answer`, RANGE `min`/`max`, SUBJECTIVE `rubric`. */
const answerFields = {
  options: z.array(z.string()).optional(),
  correctOption: z.number().int().optional(),
  correctOptions: z.array(z.number().int()).optional(),
  answer: z.number().optional(),
  min: z.number().optional(),
  max: z.number().optional(),
  rubric: z.string().nullable().optional(),
};

const questionFields = {
  type: z.enum(QUESTION_TYPES),
  body: z.string().meta({ description: "Sanitised rich text (HTML subset)." }),
  marks: z.number(),
  negativeMarks: z.number(),
  difficulty: z.enum(DIFFICULTIES),
  subject: z.string(),
  topic: z.string().nullable(),
  imageUploadId: prefixedId("upload").nullable(),
};

/** The full question with its answer key: for its author and admins (src/lib/exam/questions.ts). */
export const questionSchema = z
  .object({
    id: prefixedId("question"),
    authorId: prefixedId("user"),
    ...questionFields,
    explanation: z.string().nullable(),
    ...answerFields,
    status: z.enum(QUESTION_STATUSES).meta({ description: "A draft (AI-generated, awaiting review) joins no test until published." }),
    generatedBy: z.string().nullable().meta({ description: "The model that wrote the question, when AI generated it." }),
    createdAt: isoDateTime,
    updatedAt: isoDateTime,
    deletedAt: isoDateTime.nullable(),
  })
  .meta({ id: "Question" });

/** A question inside an attempt, as its taker sees it: no answer key, marks as the section sets them. */
export const candidateQuestionSchema = z
  .object({ id: prefixedId("question"), ...questionFields, options: z.array(z.string()).optional() })
  .meta({ id: "CandidateQuestion" });

/** The answer key and explanation a scored attempt reveals (graders also get the rubric). */
export const solutionSchema = z.object({ ...answerFields, explanation: z.string().nullable() }).meta({ id: "Solution" });

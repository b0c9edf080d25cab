import { z } from "zod";
import { ATTEMPT_STATUSES, MSQ_SCORING_MODES } from "../../db/schema";
import { isoDateTime, prefixedId } from "./primitives";
import { candidateQuestionSchema, solutionSchema } from "./question";

const attemptStatusSchema = z.enum(ATTEMPT_STATUSES);

/** An attempt in a list (src/lib/exam/attempts.ts); score fields are null until it is scored. */
export const attemptSummarySchema = z
  .object({
    id: prefixedId("attempt"),
    testId: prefixedId("test"),
    testTitle: z.string().optional().meta({ description: "In lists, the test's title." }),
    userId: prefixedId("user"),
    status: attemptStatusSchema,
    startedAt: isoDateTime,
    deadlineAt: isoDateTime,
    submittedAt: isoDateTime.nullable(),
    autoSubmitted: z.boolean(),
    scoredAt: isoDateTime.nullable(),
    score: z.number().nullable(),
    maxScore: z.number().nullable(),
    provisional: z.boolean().nullable().meta({ description: "True while subjective answers await grading." }),
  })
  .meta({ id: "AttemptSummary" });

const responseSchema = z.object({
  answer: z.unknown().meta({ description: "The answer as sent: an option index, indexes, a number or text." }),
  answeredAt: isoDateTime.nullable(),
  timeSpentSeconds: z.number().int(),
  marksAwarded: z.number().nullable().optional(),
  isCorrect: z.boolean().nullable().optional(),
  gradedMarks: z.number().nullable().optional(),
  feedback: z.string().nullable().optional(),
});

const attemptTestSchema = z.object({
  id: prefixedId("test"),
  title: z.string(),
  durationMinutes: z.number().int(),
  msqScoring: z.enum(MSQ_SCORING_MODES),
});

/**
 * An attempt with its questions and answers. Until it is scored its taker sees no solutions, marks or
 * feedback; the test's managers see them throughout.
 */
export const attemptSchema = attemptSummarySchema
  .extend({
    result: z.looseObject({}).nullable().meta({ description: "The scoring breakdown once scored." }),
    sections: z.array(
      z.object({
        id: prefixedId("section"),
        title: z.string(),
        questions: z.array(candidateQuestionSchema.extend({ response: responseSchema.nullable(), solution: solutionSchema.optional() })),
      }),
    ),
    test: attemptTestSchema,
  })
  .meta({ id: "Attempt" });

export const attemptDetailSchema = attemptSchema.extend({ percentile: z.number().nullable() }).meta({ id: "AttemptDetail" });

export const savedAnswerSchema = z.object({
  attemptId: prefixedId("attempt"),
  questionId: prefixedId("question"),
  answer: z.unknown(),
  answeredAt: isoDateTime.nullable(),
  timeSpentSeconds: z.number().int(),
});

export const submittedAttemptSchema = z.object({
  id: prefixedId("attempt"),
  status: attemptStatusSchema,
  submittedAt: isoDateTime,
  scoringJobId: prefixedId("job").meta({ description: "Poll GET /v1/jobs/{id}, or read the attempt until it is `scored`." }),
});

export const gradedAnswerSchema = z.object({
  attemptId: prefixedId("attempt"),
  questionId: prefixedId("question"),
  gradedMarks: z.number(),
  feedback: z.string().nullable(),
  gradedAt: isoDateTime,
  scoringJobId: prefixedId("job"),
});

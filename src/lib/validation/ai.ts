import { z } from "zod";
import { DIFFICULTIES, QUESTION_TYPES } from "../../db/schema";
import { plainText } from "./text";

const MAX_CHAT_MESSAGES = 40;
const MAX_CHAT_MESSAGE_CHARS = 8_000;
const MAX_GENERATED_QUESTIONS = 20;

const questionId = z.string().regex(/^qst_[0-9A-Z]{26}$/, "Invalid question id");
const attemptId = z.string().regex(/^att_[0-9A-Z]{26}$/, "Invalid attempt id");

/**
 * A tutor conversation about one question of a scored attempt: the conversation so far; a client
 * cannot send `system` turns, only the server writes those.
 */
export const aiChatBody = z.strictObject({
  attemptId,
  questionId,
  messages: z
    .array(
      z.strictObject({
        role: z.enum(["user", "assistant"]),
        content: plainText({ max: MAX_CHAT_MESSAGE_CHARS, multiline: true }),
      }),
    )
    .min(1)
    .max(MAX_CHAT_MESSAGES)
    .refine((messages) => messages.at(-1)?.role === "user", "The last message must be the user's"),
});
export type AiChatBody = z.infer<typeof aiChatBody>;

export const aiQuestionGenerationBody = z.strictObject({
  subject: plainText({ max: 100 }),
  topic: plainText({ max: 100 }).nullish(),
  type: z.enum(QUESTION_TYPES).default("MCQ"),
  difficulty: z.enum(DIFFICULTIES).default("medium"),
  count: z.number().int().min(1).max(MAX_GENERATED_QUESTIONS).default(5),
  instructions: plainText({ max: 2_000, min: 0, multiline: true }).nullish(),
  language: z
    .string()
    .regex(/^[a-z]{2}(-[A-Z]{2})?$/, "Use a language tag like en or en-GB")
    .default("en"),
});
export type AiQuestionGenerationBody = z.infer<typeof aiQuestionGenerationBody>;

export const attemptParam = z.object({ id: attemptId });
export const testParam = z.object({ id: z.string().regex(/^tst_[0-9A-Z]{26}$/, "Invalid test id") });

/** Bulk hints for a test: by default only its questions without one. */
export const aiHintsBody = z.strictObject({ overwrite: z.boolean().default(false) });

export const aiUsageQuery = z.strictObject({
  from: z.iso.datetime({ offset: true }).optional(),
  to: z.iso.datetime({ offset: true }).optional(),
});

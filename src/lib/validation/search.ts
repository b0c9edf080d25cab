import { z } from "zod";
import { DIFFICULTIES, QUESTION_TYPES } from "../../db/schema";
import { plainText } from "./text";

/**
 * `GET /v1/search?q=…`: free text plus filters. The text follows the plain-text rule here and is then
 * parsed into a safe index query (src/lib/search/query.ts), never spliced into one.
 */
export const searchQuery = z.object({
  q: plainText({ max: 512 }),
  /** Omitted: both. */
  type: z.enum(["questions", "tests"]).optional(),
  subject: plainText({ max: 100 }).optional(),
  topic: plainText({ max: 100 }).optional(),
  difficulty: z.enum(DIFFICULTIES).optional(),
  questionType: z.enum(QUESTION_TYPES).optional(),
  limit: z.coerce.number().int().min(1).max(50).default(20),
  cursor: z.string().max(200).optional(),
});
export type SearchQuery = z.infer<typeof searchQuery>;

export const suggestQuery = z.object({
  q: plainText({ max: 100 }),
  limit: z.coerce.number().int().min(1).max(20).default(8),
});

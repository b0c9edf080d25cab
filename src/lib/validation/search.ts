import { z } from "zod";
import { DIFFICULTIES, QUESTION_TYPES } from "../../db/schema";
import { paginationQuery } from "./pagination";

export const SEARCH_INDEXES = ["questions", "tests"] as const;

/**
 * `GET /v1/search?q=…`: free text plus filters. The text is matched as plain words by the search
 * backend (FTS5 or Meilisearch), never spliced into a query, so its only limits are length and
 * control characters.
 */
export const searchQuery = paginationQuery.extend({
  q: z
    .string()
    .trim()
    .min(1, "Type something to search for")
    .max(200)
    .refine((value) => !/[\u0000-\u001f\u007f]/.test(value), "Must not contain control characters"),
  index: z.enum(SEARCH_INDEXES).default("questions"),
  subject: z.string().trim().min(1).max(100).optional(),
  topic: z.string().trim().min(1).max(100).optional(),
  type: z.enum(QUESTION_TYPES).optional(),
  difficulty: z.enum(DIFFICULTIES).optional(),
});
export type SearchQuery = z.infer<typeof searchQuery>;

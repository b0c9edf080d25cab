import { z } from "zod";
import { DIFFICULTIES, QUESTION_TYPES } from "../../db/schema";
import { paginationQuery } from "./pagination";
import { plainText } from "./text";

const SEARCH_INDEXES = ["questions", "tests"] as const;

/**
 * `GET /v1/search?q=…`: free text plus filters. The text is matched as plain words by the search
 * backend (FTS5 or Meilisearch), never spliced into a query, so it only follows the plain-text rule.
 */
export const searchQuery = paginationQuery.extend({
  q: plainText({ max: 200 }),
  index: z.enum(SEARCH_INDEXES).default("questions"),
  subject: plainText({ max: 100 }).optional(),
  topic: plainText({ max: 100 }).optional(),
  type: z.enum(QUESTION_TYPES).optional(),
  difficulty: z.enum(DIFFICULTIES).optional(),
});
export type SearchQuery = z.infer<typeof searchQuery>;

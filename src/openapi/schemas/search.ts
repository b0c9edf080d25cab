import { z } from "zod";
import { SEARCH_KINDS } from "../../db/schema";

const counts = z.record(z.string(), z.number().int());

const searchHitSchema = z
  .object({
    id: z.string(),
    type: z.enum(SEARCH_KINDS),
    title: z.string(),
    snippet: z.string().meta({ description: "Plain text, HTML-escaped, with the matched words in <mark>…</mark>" }),
    score: z.number(),
    subject: z.string().nullable(),
    topic: z.string().nullable(),
    difficulty: z.string().nullable(),
    questionType: z.string().nullable(),
  })
  .meta({ id: "SearchHit" });

export const searchResultSchema = z
  .object({
    data: z.array(searchHitSchema),
    nextCursor: z.string().nullable(),
    facets: z.object({ subject: counts, difficulty: counts, questionType: counts }),
    mode: z.enum(["words", "fuzzy"]).meta({ description: "`fuzzy`: no word matched; partial-word and typo matches instead" }),
  })
  .meta({ id: "SearchResult" });

export const suggestionSchema = z
  .object({ id: z.string(), type: z.enum(SEARCH_KINDS), title: z.string() })
  .meta({ id: "SearchSuggestion" });

export const indexDriftSchema = z
  .object({
    kind: z.enum(SEARCH_KINDS),
    source: z.number().int(),
    indexed: z.number().int(),
    missing: z.number().int(),
    stale: z.number().int(),
    orphaned: z.number().int(),
  })
  .meta({ id: "SearchIndexDrift" });

import { Hono } from "hono";
import { z } from "zod";
import type { AppEnv } from "../env";
import { ApiError } from "../lib/errors";
import { d1SearchEngine } from "../lib/search/engine";
import { parseSearchQuery, parseSuggestQuery } from "../lib/search/query";
import { searchQuery, suggestQuery } from "../lib/validation/search";
import { decodeCursor, encodeCursor } from "../lib/validation/pagination";
import { validate } from "../lib/validation/validate";
import { authOf, requireAuth, requireScope } from "../middleware/auth";
import { rateLimit } from "../middleware/rate-limit";
import { operationsOf } from "../openapi/describe";
import { searchResultSchema, suggestionSchema } from "../openapi/schemas/search";

const describe = operationsOf("Search");

/** Deep pages of a ranked list cost as much as every page before them: past this offset, refine the query. */
const MAX_OFFSET = 1000;
/** `o`: the offset; `f`: 1 while paging a fuzzy result. */
const searchCursor = z.object({ o: z.number().int().min(0).max(MAX_OFFSET), f: z.union([z.literal(0), z.literal(1)]) });

function parsedOrRefused(verdict: ReturnType<typeof parseSearchQuery>) {
  if (!verdict.ok) throw ApiError.validation([{ path: "q", message: verdict.message }], "The search query cannot be run.");
  return verdict.query;
}

/** Mounted at /v1/search: full-text search over questions and tests, each caller within what they may read. */
export const searchRoutes = new Hono<AppEnv>()
  .use("*", rateLimit({ policy: "search" }), requireAuth(), requireScope("search:read"))
  .get(
    "/",
    describe({
      summary: "Search questions and tests",
      description:
        'Words (all must match), `"quoted phrases"`, prefixes (`calcul*`) and exclusions (`-integration`), ranked by BM25 with titles above bodies above tags. Students find published tests; instructors their own questions and tests and published tests; admins everything. When no word matches, partial words and typos are matched instead (`mode: fuzzy`). Answers and explanations are never indexed.',
      responses: { 200: ["Ranked results with facets", searchResultSchema] },
    }),
    validate("query", searchQuery),
    async (c) => {
      const input = c.req.valid("query");
      const query = parsedOrRefused(parseSearchQuery(input.q));
      const cursor = input.cursor ? decodeCursor(input.cursor, searchCursor) : { o: 0, f: 0 };
      const auth = authOf(c);
      const result = await d1SearchEngine(c.var.d1).search(
        { userId: auth.userId, role: auth.role },
        {
          match: query.match,
          fuzzy: query.fuzzy,
          terms: query.terms,
          filters: {
            kind: input.type === "questions" ? "question" : input.type === "tests" ? "test" : undefined,
            subject: input.subject,
            topic: input.topic,
            difficulty: input.difficulty,
            questionType: input.questionType,
          },
          limit: input.limit,
          offset: cursor.o,
          fuzzyPage: cursor.f === 1,
        },
      );
      const next = cursor.o + input.limit;
      return c.json({
        data: result.hits,
        nextCursor: result.more && next <= MAX_OFFSET ? encodeCursor({ o: next, f: result.mode === "fuzzy" ? 1 : 0 }) : null,
        facets: result.facets,
        mode: result.mode,
      });
    },
  )
  .get(
    "/suggest",
    describe({
      summary: "Suggest titles as the user types",
      description: "The last word is a prefix; titles and tags (subject, topic) of what the caller may read.",
      responses: { 200: ["Suggestions, best first", z.object({ data: z.array(suggestionSchema) })] },
    }),
    validate("query", suggestQuery),
    async (c) => {
      const input = c.req.valid("query");
      const query = parsedOrRefused(parseSuggestQuery(input.q));
      const auth = authOf(c);
      const data = await d1SearchEngine(c.var.d1).suggest({ userId: auth.userId, role: auth.role }, query.match, input.limit);
      return c.json({ data });
    },
  );

import type { Role, SearchKind } from "../../db/schema";
import type { D1Queryable } from "../../db";
import { escapeHtml } from "../security/sanitize";
import { trigramsOf } from "./query";

/** Who is searching: access is part of the query, so nothing unreadable shapes a result, a count or a facet. */
interface Searcher {
  userId: string;
  role: Role;
}

interface SearchFilters {
  kind?: SearchKind;
  subject?: string;
  topic?: string;
  difficulty?: string;
  questionType?: string;
}

interface SearchRequest {
  /** The FTS5 expression for the word index (src/lib/search/query.ts). */
  match: string;
  /** The trigram expression for when the words find nothing (null: no word long enough). */
  fuzzy: string | null;
  /** The query's positive words: a fuzzy candidate must contain most of each one's trigrams. */
  terms: string[];
  filters: SearchFilters;
  limit: number;
  offset: number;
  /** A later page of a fuzzy result stays fuzzy (the cursor says so). */
  fuzzyPage?: boolean;
}

interface SearchHit {
  id: string;
  type: SearchKind;
  title: string;
  /** Plain text with the matched words wrapped in `<mark>…</mark>`; everything else HTML-escaped. */
  snippet: string;
  /** Higher is better (negated BM25). */
  score: number;
  subject: string | null;
  topic: string | null;
  difficulty: string | null;
  questionType: string | null;
}

type Facets = Record<"subject" | "difficulty" | "questionType", Record<string, number>>;

interface SearchResult {
  hits: SearchHit[];
  /** More results after these. */
  more: boolean;
  facets: Facets;
  /** `words`: the word index matched; `fuzzy`: it found nothing and trigrams (partial words, typos) did. */
  mode: "words" | "fuzzy";
}

interface Suggestion {
  id: string;
  type: SearchKind;
  title: string;
}

/** What a search backend does. D1's FTS5 is the embedded one; another engine (Meilisearch) would implement this. */
export interface SearchEngine {
  search(searcher: Searcher, request: SearchRequest): Promise<SearchResult>;
  suggest(searcher: Searcher, match: string, limit: number): Promise<Suggestion[]>;
}

/** Column weights for bm25(): title, body, tags. */
const WORD_WEIGHTS = "10.0, 4.0, 1.0";
const TRIGRAM_WEIGHTS = "10.0, 4.0";
const SNIPPET_TOKENS = 16;
// Snippet markers no document contains (control characters are refused on input), swapped for <mark> after escaping.
const OPEN = "\u0002";
const CLOSE = "\u0003";

const highlight = (snippet: string) => escapeHtml(snippet).replaceAll(OPEN, "<mark>").replaceAll(CLOSE, "</mark>");

/** Readable to this searcher: admins everything; instructors their own items and published tests; students published tests. */
function accessClause(searcher: Searcher): { sql: string; params: unknown[] } {
  if (searcher.role === "admin") return { sql: "d.deleted = 0", params: [] };
  const publishedTest = "(d.kind = 'test' AND d.published = 1)";
  if (searcher.role === "instructor") return { sql: `d.deleted = 0 AND (d.owner_id = ? OR ${publishedTest})`, params: [searcher.userId] };
  return { sql: `d.deleted = 0 AND ${publishedTest}`, params: [] };
}

function filterClause(filters: SearchFilters): { sql: string; params: unknown[] } {
  const parts: string[] = [];
  const params: unknown[] = [];
  const columns = {
    kind: "d.kind",
    subject: "d.subject",
    topic: "d.topic",
    difficulty: "d.difficulty",
    questionType: "d.question_type",
  } as const;
  for (const [key, column] of Object.entries(columns) as [keyof SearchFilters, string][]) {
    const value = filters[key];
    if (value === undefined) continue;
    parts.push(`${column} = ? COLLATE NOCASE`);
    params.push(value);
  }
  return { sql: parts.length > 0 ? parts.join(" AND ") : "1", params };
}

/** Candidates a fuzzy search weighs (its ranking and facets are over these). */
const FUZZY_CANDIDATES = 200;
/** A fuzzy candidate needs, for every query word, a word of its own holding this share of the query word's trigrams. */
const FUZZY_CONTAINMENT = 0.6;

/** Whether some word of `text` contains most trigrams of every term: a partial word or a typo passes, a shared fragment does not. */
function closeEnough(terms: string[], text: string): boolean {
  const words = text.toLowerCase().match(/[\p{L}\p{N}\p{M}]+/gu) ?? [];
  const grams = words.map((word) => new Set(trigramsOf(word)));
  return terms.every((term) => {
    const wanted = trigramsOf(term);
    if (wanted.length === 0) return true;
    return grams.some((held) => wanted.filter((gram) => held.has(gram)).length / wanted.length >= FUZZY_CONTAINMENT);
  });
}

interface HitRow {
  resource_id: string;
  kind: SearchKind;
  title: string;
  /** Selected by the fuzzy search only (it weighs the words itself). */
  body?: string;
  tags?: string;
  snippet: string;
  rank: number;
  subject: string | null;
  topic: string | null;
  difficulty: string | null;
  question_type: string | null;
}

function present(row: HitRow): SearchHit {
  return {
    id: row.resource_id,
    type: row.kind,
    title: row.title,
    snippet: highlight(row.snippet ?? ""),
    score: Math.round(-row.rank * 1000) / 1000,
    subject: row.subject,
    topic: row.topic,
    difficulty: row.difficulty,
    questionType: row.question_type,
  };
}

/** FTS5 over D1: BM25 with field weights, snippets, facets, access and filters all inside the query. */
export function d1SearchEngine(d1: D1Queryable): SearchEngine {
  async function run(match: string, searcher: Searcher, request: SearchRequest) {
    const table = "search_fts";
    const access = accessClause(searcher);
    const filters = filterClause(request.filters);
    const from = `FROM ${table} JOIN search_documents d ON d.doc_id = ${table}.rowid
      WHERE ${table} MATCH ? AND ${access.sql} AND ${filters.sql}`;
    const params = [match, ...access.params, ...filters.params];
    const facet = (column: string) =>
      d1
        .prepare(`SELECT ${column} AS value, count(*) AS n ${from} AND ${column} IS NOT NULL GROUP BY ${column} ORDER BY n DESC LIMIT 20`)
        .bind(...params);
    const [hits, subjects, difficulties, types] = await d1.batch<unknown>([
      d1
        .prepare(
          `SELECT d.resource_id, d.kind, d.title, d.subject, d.topic, d.difficulty, d.question_type,
             bm25(${table}, ${WORD_WEIGHTS}) AS rank,
             snippet(${table}, 1, '${OPEN}', '${CLOSE}', '…', ${SNIPPET_TOKENS}) AS snippet
           ${from} ORDER BY rank, d.doc_id LIMIT ? OFFSET ?`,
        )
        .bind(...params, request.limit + 1, request.offset),
      facet("d.subject"),
      facet("d.difficulty"),
      facet("d.question_type"),
    ]);
    const counts = (result: D1Result<unknown>) =>
      Object.fromEntries((result.results as { value: string; n: number }[]).map((row) => [row.value, row.n]));
    const rows = hits!.results as HitRow[];
    return {
      hits: rows.slice(0, request.limit).map(present),
      more: rows.length > request.limit,
      facets: { subject: counts(subjects!), difficulty: counts(difficulties!), questionType: counts(types!) },
    };
  }

  /**
   * Trigram candidates (any shared trigram), then kept only when close enough to every query word,
   * ranked, faceted and paged in the isolate: at most FUZZY_CANDIDATES rows.
   */
  async function runFuzzy(match: string, searcher: Searcher, request: SearchRequest) {
    const access = accessClause(searcher);
    const filters = filterClause(request.filters);
    const { results } = await d1
      .prepare(
        `SELECT d.resource_id, d.kind, d.title, d.body, d.tags, d.subject, d.topic, d.difficulty, d.question_type,
           bm25(search_trigram, ${TRIGRAM_WEIGHTS}) AS rank,
           snippet(search_trigram, 1, '${OPEN}', '${CLOSE}', '…', ${SNIPPET_TOKENS}) AS snippet
         FROM search_trigram JOIN search_documents d ON d.doc_id = search_trigram.rowid
         WHERE search_trigram MATCH ? AND ${access.sql} AND ${filters.sql} ORDER BY rank, d.doc_id LIMIT ?`,
      )
      .bind(match, ...access.params, ...filters.params, FUZZY_CANDIDATES)
      .all<HitRow>();
    const kept = results.filter((row) => closeEnough(request.terms, `${row.title} ${row.body ?? ""} ${row.tags ?? ""}`));
    const facet = (pick: (row: HitRow) => string | null) => {
      const counts: Record<string, number> = {};
      for (const row of kept) {
        const value = pick(row);
        if (value !== null) counts[value] = (counts[value] ?? 0) + 1;
      }
      return counts;
    };
    const page = kept.slice(request.offset, request.offset + request.limit);
    return {
      hits: page.map(present),
      more: kept.length > request.offset + request.limit,
      facets: {
        subject: facet((row) => row.subject),
        difficulty: facet((row) => row.difficulty),
        questionType: facet((row) => row.question_type),
      },
    };
  }

  return {
    async search(searcher, request) {
      if (request.fuzzyPage && request.fuzzy) return { ...(await runFuzzy(request.fuzzy, searcher, request)), mode: "fuzzy" };
      const words = await run(request.match, searcher, request);
      if (words.hits.length > 0 || request.offset > 0 || !request.fuzzy) return { ...words, mode: "words" };
      return { ...(await runFuzzy(request.fuzzy, searcher, request)), mode: "fuzzy" };
    },
    async suggest(searcher, match, limit) {
      const access = accessClause(searcher);
      const { results } = await d1
        .prepare(
          `SELECT d.resource_id, d.kind, d.title FROM search_fts JOIN search_documents d ON d.doc_id = search_fts.rowid
           WHERE search_fts MATCH ? AND ${access.sql} ORDER BY bm25(search_fts, ${WORD_WEIGHTS}), d.doc_id LIMIT ?`,
        )
        .bind(`{title tags} : (${match})`, ...access.params, limit)
        .all<{ resource_id: string; kind: SearchKind; title: string }>();
      return results.map((row) => ({ id: row.resource_id, type: row.kind, title: row.title }));
    },
  };
}

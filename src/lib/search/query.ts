/**
 * What a user types into the search box, made into FTS5 MATCH expressions that can be neither a syntax
 * error nor an operator the user smuggled in.
 *
 * The syntax is small: words (all must match), "quoted phrases", a trailing `*` for a prefix (`calcul*`)
 * and a leading `-` to exclude a word or phrase. Everything else is text: a word is a run of letters and
 * digits, any other character separates words, and every term leaves here as a double-quoted FTS5 string,
 * so `NOT`, `NEAR(`, `title:` or `^` typed by a user are only words to look for.
 */

export interface ParsedQuery {
  /** The FTS5 MATCH expression for the word index (unicode61). */
  match: string;
  /**
   * For the trigram index, when the words find nothing: every trigram of the positive words, OR-ed
   * (a partial or misspelt word still shares most of its trigrams); null when no word has three characters.
   */
  fuzzy: string | null;
  /** The positive words, for highlighting or logging (no exclusions). */
  terms: string[];
}

export type QueryVerdict = { ok: true; query: ParsedQuery } | { ok: false; message: string };

/** In characters (code points), after NFC and trimming. */
export const MAX_QUERY_LENGTH = 512;
/** Words, phrases and exclusions together. */
const MAX_TERMS = 16;
const MAX_TERM_LENGTH = 64;
/** A one-character prefix would walk a whole letter of the index. */
const MIN_PREFIX_LENGTH = 2;
/** The trigram index finds nothing for a shorter string. */
const MIN_TRIGRAM_WORD_LENGTH = 3;

const WORD_START = /^[\p{L}\p{N}]$/u;
// Combining marks continue a word: Devanagari, Tamil and others write vowels as marks that NFC cannot fold into
// the letter, and unicode61 keeps them inside the token.
const WORD_PART = /^[\p{L}\p{N}\p{M}]$/u;
const WORDS = /[\p{L}\p{N}][\p{L}\p{N}\p{M}]*/gu;
const SPACE = /^\s$/u;

interface Term {
  words: string[];
  prefix: boolean;
  excluded: boolean;
}

const isWordStart = (char: string | undefined) => char !== undefined && WORD_START.test(char);
const isWordPart = (char: string | undefined) => char !== undefined && WORD_PART.test(char);
const characters = (text: string) => [...text].length;

/** Reads the user's syntax from code points; anything that is not a word, a quote or a leading `-` is skipped. */
function scan(chars: string[]): Term[] {
  const terms: Term[] = [];
  let i = 0;
  while (i < chars.length) {
    const startsChunk = i === 0 || SPACE.test(chars[i - 1]!);
    // `-` excludes only at the start of a chunk: `x-ray` is two words, `- x` is one.
    const excluded = chars[i] === "-" && startsChunk && (chars[i + 1] === '"' || isWordStart(chars[i + 1]));
    if (excluded) i++;
    const char = chars[i]!;
    if (char === '"') {
      // An unclosed quote makes the rest of the query the phrase.
      const close = chars.indexOf('"', i + 1);
      const end = close === -1 ? chars.length : close;
      const phrase = chars.slice(i + 1, end).join("");
      const words = phrase.match(WORDS) ?? [];
      if (words.length > 0) terms.push({ words, prefix: false, excluded });
      i = end + 1;
    } else if (isWordStart(char)) {
      let end = i + 1;
      while (isWordPart(chars[end])) end++;
      // `calcul*` is a prefix; the `*` of `cal*cul` only separates two words.
      const prefix = chars[end] === "*" && !isWordStart(chars[end + 1]) && end - i >= MIN_PREFIX_LENGTH;
      terms.push({ words: [chars.slice(i, end).join("")], prefix, excluded });
      i = prefix ? end + 1 : end;
    } else {
      i++;
    }
  }
  return terms;
}

/** An FTS5 string: double-quoted with inner quotes doubled, so it is always a phrase and never an operator. */
const ftsString = (text: string) => `"${text.replaceAll('"', '""')}"`;

function render(term: Term): string {
  const phrase = ftsString(term.words.join(" "));
  return term.prefix ? `${phrase}*` : phrase;
}

/**
 * FTS5 binds NOT tighter than AND (`%left OR. %left AND. %left NOT.` in fts5parse.y), and all three are binary
 * and left-associative: the positive terms are grouped, then each exclusion is subtracted in turn,
 * `("a" AND "b") NOT "c" NOT "d"` = `(("a" AND "b") NOT "c") NOT "d"`.
 */
function matchExpression(positive: Term[], excluded: Term[]): string {
  const all = positive.map(render).join(" AND ");
  if (excluded.length === 0) return all;
  const base = positive.length > 1 ? `(${all})` : all;
  return [base, ...excluded.map(render)].join(" NOT ");
}

/** Trigrams one fuzzy query may hold: enough for several words, bounded whatever the input. */
const MAX_TRIGRAMS = 48;

/** The trigrams of each word (lower-cased, by code point). */
export function trigramsOf(word: string): string[] {
  const chars = [...word.toLowerCase()];
  const grams: string[] = [];
  for (let i = 0; i + MIN_TRIGRAM_WORD_LENGTH <= chars.length; i++) grams.push(chars.slice(i, i + MIN_TRIGRAM_WORD_LENGTH).join(""));
  return grams;
}

function fuzzyExpression(words: string[]): string | null {
  const grams = [...new Set(words.flatMap(trigramsOf))].slice(0, MAX_TRIGRAMS);
  return grams.length > 0 ? grams.map(ftsString).join(" OR ") : null;
}

function parse(input: string, lastWordIsPrefix: boolean): QueryVerdict {
  const text = input.normalize("NFC").trim();
  if (characters(text) > MAX_QUERY_LENGTH) return { ok: false, message: `A search can be at most ${MAX_QUERY_LENGTH} characters.` };
  const terms = scan([...text]);
  if (terms.length === 0) return { ok: false, message: "The search has no words to look for." };
  if (terms.length > MAX_TERMS) return { ok: false, message: `A search can have at most ${MAX_TERMS} words, phrases or exclusions.` };
  if (terms.some((term) => characters(term.words.join(" ")) > MAX_TERM_LENGTH)) {
    return { ok: false, message: `Each word or phrase of a search can be at most ${MAX_TERM_LENGTH} characters.` };
  }
  const last = terms.at(-1)!;
  if (lastWordIsPrefix && !last.excluded && characters(last.words.at(-1)!) >= MIN_PREFIX_LENGTH) last.prefix = true;

  const positive = terms.filter((term) => !term.excluded);
  const excluded = terms.filter((term) => term.excluded);
  if (positive.length === 0) return { ok: false, message: "A search needs at least one word to look for, not only exclusions (-word)." };
  const words = [...new Set(positive.flatMap((term) => term.words))];
  return { ok: true, query: { match: matchExpression(positive, excluded), fuzzy: fuzzyExpression(words), terms: words } };
}

/** `GET /v1/search`: words, "phrases", `prefix*` and `-exclusions`; everything else is text. */
export function parseSearchQuery(input: string): QueryVerdict {
  return parse(input, false);
}

/** As the user types: the same syntax, and the last word is a prefix (`calc` → `"calc"*`). */
export function parseSuggestQuery(input: string): QueryVerdict {
  return parse(input, true);
}

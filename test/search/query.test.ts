import { env } from "cloudflare:workers";
import { beforeAll, describe, expect, it } from "vitest";
import { MAX_QUERY_LENGTH, parseSearchQuery, parseSuggestQuery, type ParsedQuery, type QueryVerdict } from "../../src/lib/search/query";

// Throwaway tables shaped like the real indexes: the parser's output is proven against FTS5 itself.
const ROWS: [number, string, string][] = [
  [1, "Definite integral of sin x", "Evaluate the definite integral of sin x from 0 to pi."],
  [2, "Integration by parts", "Integrate x times e to the x using integration by parts."],
  [3, "Calculus limits", "Limits and continuity, where calculus starts."],
  [4, "NOT a keyword test", "The words NOT, OR, AND and NEAR appear here as plain text."],
  [5, "Trigonometry basics", "Sine, cosine and tangent of an angle."],
  [6, "Équations différentielles", "Une équation différentielle du premier ordre."],
  [7, "गणित समाकलन", "समाकलन के प्रश्न"],
];

beforeAll(async () => {
  await env.DB.batch([
    env.DB.prepare("CREATE VIRTUAL TABLE IF NOT EXISTS qtest_words USING fts5(title, body)"),
    env.DB.prepare("CREATE VIRTUAL TABLE IF NOT EXISTS qtest_tri USING fts5(title, body, tokenize='trigram')"),
    env.DB.prepare("DELETE FROM qtest_words"),
    env.DB.prepare("DELETE FROM qtest_tri"),
    ...ROWS.flatMap(([rowid, title, body]) => [
      env.DB.prepare("INSERT INTO qtest_words(rowid, title, body) VALUES (?, ?, ?)").bind(rowid, title, body),
      env.DB.prepare("INSERT INTO qtest_tri(rowid, title, body) VALUES (?, ?, ?)").bind(rowid, title, body),
    ]),
  ]);
});

type Table = "qtest_words" | "qtest_tri";

async function rowids(table: Table, match: string): Promise<number[]> {
  const { results } = await env.DB.prepare(`SELECT rowid FROM ${table} WHERE ${table} MATCH ? ORDER BY rowid`)
    .bind(match)
    .all<{ rowid: number }>();
  return results.map((row) => row.rowid);
}

function parsed(verdict: QueryVerdict): ParsedQuery {
  if (!verdict.ok) throw new Error(`refused: ${verdict.message}`);
  return verdict.query;
}

const words = async (input: string) => rowids("qtest_words", parsed(parseSearchQuery(input)).match);

/** Refused with a message, or every expression it produced runs on both tables (also under a column filter, as suggest runs it). */
async function refusedOrRuns(input: string, verdict: QueryVerdict) {
  if (!verdict.ok) {
    expect(verdict.message, JSON.stringify(input)).toMatch(/\S/);
    return;
  }
  const { match, fuzzy } = verdict.query;
  const expressions = [match, `{title} : (${match})`, ...(fuzzy ? [fuzzy] : [])];
  for (const table of ["qtest_words", "qtest_tri"] as const) {
    for (const expression of expressions) {
      await expect(rowids(table, expression), `${JSON.stringify(input)} → ${expression} on ${table}`).resolves.toBeInstanceOf(Array);
    }
  }
}

describe("the harness", () => {
  it("sees an FTS5 syntax error when one is made (so a passing hostile test means something)", async () => {
    for (const raw of ['"unbalanced', "a OR", "NEAR(", "title:", "*", "-x", "(a"]) {
      await expect(rowids("qtest_words", raw), raw).rejects.toThrow(/SQLITE_ERROR/);
    }
  });
});

describe("happy path", () => {
  it("matches every word (implicit AND), case left to FTS5", async () => {
    expect(await words("integral")).toEqual([1]);
    expect(await words("integral sin")).toEqual([1]);
    expect(await words("integral parts")).toEqual([]);
    expect(await words("CALCULUS")).toEqual([3]);
    expect(parsed(parseSearchQuery("integral sin")).match).toBe('"integral" AND "sin"');
  });

  it("matches a quoted phrase in order", async () => {
    expect(await words('"definite integral"')).toEqual([1]);
    expect(await words('"integral definite"')).toEqual([]);
    expect(await words('"by parts" integration')).toEqual([2]);
    expect(parsed(parseSearchQuery('"definite integral"')).match).toBe('"definite integral"');
  });

  it("matches a prefix from a trailing * on a word of 2+ characters, and ignores * elsewhere", async () => {
    expect(await words("integ*")).toEqual([1, 2]);
    expect(await words("calcul*")).toEqual([3]);
    expect(parsed(parseSearchQuery("calcul*")).match).toBe('"calcul"*');
    expect(parsed(parseSearchQuery("x* *sin")).match).toBe('"x" AND "sin"');
    expect(parsed(parseSearchQuery("cal*cul")).match).toBe('"cal" AND "cul"');
  });

  it("excludes words and phrases, the positive part grouped before each NOT", async () => {
    expect(await words("integ* -parts")).toEqual([1]);
    expect(await words('integ* -"by parts"')).toEqual([1]);
    expect(await words("integ* -parts -sin")).toEqual([]);
    expect(await words("integ* -trig -cosine")).toEqual([1, 2]);
    expect(parsed(parseSearchQuery('calcul* "definite integral" -trig')).match).toBe('("calcul"* AND "definite integral") NOT "trig"');
    expect(parsed(parseSearchQuery("a b -c -d")).match).toBe('("a" AND "b") NOT "c" NOT "d"');
    expect(await words("x integ* -parts -pi")).toEqual([]);
    expect(await words("x integ* -pi -sin")).toEqual([2]);
  });

  it("reads operator keywords and column filters as words", async () => {
    expect(parsed(parseSearchQuery("NOT keyword")).match).toBe('"NOT" AND "keyword"');
    expect(await words("NOT keyword")).toEqual([4]);
    expect(await words("NEAR OR AND")).toEqual([4]);
    expect(await words("title:keyword")).toEqual([]);
    expect(await words("NEAR(plain text)")).toEqual([4]);
    expect(parsed(parseSearchQuery("NEAR(integral sin, 2)")).match).toBe('"NEAR" AND "integral" AND "sin" AND "2"');
  });

  it("treats an unbalanced quote as a phrase running to the end", async () => {
    expect(parsed(parseSearchQuery('sin "definite integral')).match).toBe('"sin" AND "definite integral"');
    expect(await words('sin "definite integral')).toEqual([1]);
  });

  it("normalises to NFC and keeps combining marks inside a word", async () => {
    const decomposed = "e\u0301quation";
    expect(parsed(parseSearchQuery(decomposed)).terms).toEqual(["équation"]);
    expect(await words(decomposed)).toEqual([6]);
    expect(parsed(parseSearchQuery("गणित")).terms).toEqual(["गणित"]);
    expect(await words("गणित")).toEqual([7]);
  });

  it("lists the positive words, without exclusions", () => {
    expect(parsed(parseSearchQuery('calcul* "definite integral" -trig calcul')).terms).toEqual(["calcul", "definite", "integral"]);
  });
});

describe("fuzzy (trigrams)", () => {
  const fuzzy = (input: string) => parsed(parseSearchQuery(input)).fuzzy;

  it("finds a partial word through its trigrams", async () => {
    expect(fuzzy("tegra")).toBe('"teg" OR "egr" OR "gra"');
    expect(await words("tegra")).toEqual([]);
    expect(await rowids("qtest_tri", fuzzy("tegra")!)).toEqual(expect.arrayContaining([1, 2]));
  });

  it("finds a row when a word of the query is misspelt", async () => {
    expect(await words("integral calculsu")).toEqual([]);
    expect(await rowids("qtest_tri", fuzzy("calculsu")!)).toEqual(expect.arrayContaining([3]));
  });

  it("uses positive words of 3+ characters only, and is null when there are none", () => {
    expect(fuzzy("sin x -integral")).toBe('"sin"');
    expect(fuzzy("ab x -integral")).toBeNull();
  });
});

describe("suggestions", () => {
  const suggest = (input: string) => parsed(parseSuggestQuery(input)).match;

  it("makes the last word a prefix", async () => {
    expect(suggest("calc")).toBe('"calc"*');
    expect(await rowids("qtest_words", suggest("calc"))).toEqual([3]);
    expect(suggest("definite integ")).toBe('"definite" AND "integ"*');
    expect(await rowids("qtest_words", suggest("definite integ"))).toEqual([1]);
  });

  it("runs under a column filter, as the engine runs it", async () => {
    expect(await rowids("qtest_words", `{title} : (${suggest("calc")})`)).toEqual([3]);
    expect(await rowids("qtest_words", `{title} : (${suggest("integ* -parts")})`)).toEqual([1]);
  });

  it("leaves an exclusion and a one-character word as they are", () => {
    expect(suggest("calc -lim")).toBe('"calc" NOT "lim"');
    expect(suggest("sin x")).toBe('"sin" AND "x"');
  });
});

describe("limits", () => {
  it("refuses a query over the length limit, after trimming", () => {
    expect(parseSearchQuery("a".repeat(MAX_QUERY_LENGTH + 1)).ok).toBe(false);
    expect(parseSearchQuery(`  ${"ab ".repeat(10)}${" ".repeat(600)}`).ok).toBe(true);
  });

  it("refuses more than 16 terms and a term over 64 characters", () => {
    expect(parseSearchQuery(Array.from({ length: 16 }, (_, i) => `w${i}`).join(" ")).ok).toBe(true);
    expect(parseSearchQuery(Array.from({ length: 17 }, (_, i) => `w${i}`).join(" ")).ok).toBe(false);
    expect(parseSearchQuery("a".repeat(64)).ok).toBe(true);
    expect(parseSearchQuery("a".repeat(65)).ok).toBe(false);
  });

  it("refuses a query of exclusions only, or with nothing to look for", () => {
    for (const input of ["-integral", '-"by parts" -sin', "", "   ", "*", "-", '""', "()"]) {
      const verdict = parseSearchQuery(input);
      expect(verdict.ok, JSON.stringify(input)).toBe(false);
      if (!verdict.ok) expect(verdict.message).toMatch(/\S/);
    }
  });
});

const HOSTILE = [
  '"',
  '""',
  '"""',
  'integral"',
  '"integral',
  'a "b c',
  '"a" "b',
  "*",
  "**",
  "a*",
  "*a",
  "integral**",
  "-",
  "--",
  "--integral",
  "- integral",
  "-*",
  '-"',
  'integral -"',
  "NEAR(a b)",
  "NEAR(integral sin, 2)",
  "NEAR",
  "title:x",
  "title : integral",
  "{title body}: integral",
  "a OR b",
  "a AND b",
  "NOT a",
  "a NOT",
  "OR",
  "AND OR NOT",
  "^x",
  "^",
  "a + b",
  "+",
  "(((",
  ")",
  "(a OR b) NOT c",
  "integral :",
  ":",
  "a,b,c",
  "😀",
  "integral 😀 sin",
  "👩‍👩‍👧‍👦",
  "\u200b",
  "integ\u200bral",
  "\u200d\u200c\ufeff",
  "\u0000",
  "a\u0000b",
  "\u0001\u0002\u0003\u007f",
  "\u202eintegral\u202c",
  "\u200fsin\u200e",
  "\ud800",
  "a\udc00b",
  "'; DROP TABLE users; --",
  "' OR 1=1 --",
  "1; SELECT * FROM qtest_words",
  "x'); DELETE FROM qtest_words; --",
  "\\",
  '\\"',
  "%_",
  "ꟊ ȸ ǅ",
  "\u0301\u0301",
  "١٢٣ ۴۵",
  "x".repeat(10_240),
  "a ".repeat(5_120),
  "b".repeat(600),
  Array.from({ length: 20 }, (_, i) => `word${i}`).join(" "),
  "-a -b -c",
  "",
  " \t\n\r ",
  "\u3000",
];

describe("hostile input", () => {
  it("is refused with a message or runs without error on both indexes", async () => {
    expect(HOSTILE.length).toBeGreaterThanOrEqual(40);
    for (const input of HOSTILE) {
      await refusedOrRuns(input, parseSearchQuery(input));
      await refusedOrRuns(input, parseSuggestQuery(input));
    }
  });

  it("refuses what is over the limits or has nothing to look for", () => {
    for (const input of [
      "x".repeat(10_240),
      "b".repeat(600),
      Array.from({ length: 20 }, (_, i) => `w${i}`).join(" "),
      "-a -b",
      "",
      " \t",
    ]) {
      expect(parseSearchQuery(input).ok, input.slice(0, 40)).toBe(false);
    }
  });

  it("holds for 500 random strings rich in FTS5 syntax", async () => {
    const alphabet = [
      ...'"""***---()(){}:^+,. \t\nNEAR OR AND NOT abcxyz012éß😀\u0000\u200b\u202e\'";\\',
      "NEAR(",
      "title:",
      " OR ",
      " NOT ",
    ];
    let seed = 0x5eed;
    // mulberry32: a small deterministic PRNG, so a failure is reproducible.
    const random = () => {
      seed = (seed + 0x6d2b79f5) | 0;
      let t = Math.imul(seed ^ (seed >>> 15), 1 | seed);
      t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
      return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
    };
    let ran = 0;
    for (let n = 0; n < 500; n++) {
      const length = Math.floor(random() * 48);
      const input = Array.from({ length }, () => alphabet[Math.floor(random() * alphabet.length)]!).join("");
      const verdict = n % 2 === 0 ? parseSearchQuery(input) : parseSuggestQuery(input);
      if (verdict.ok) ran++;
      await refusedOrRuns(input, verdict);
    }
    // Most random strings contain a word: the loop exercised FTS5, not only the refusals.
    expect(ran).toBeGreaterThan(250);
  }, 60_000);
});

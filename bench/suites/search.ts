import { rmSync } from "node:fs";
import { newId } from "../../src/lib/ids";
import { apiClient, registerAndSignIn } from "../lib/api";
import { seedLocalD1 } from "../lib/seed";
import { startLocalServer } from "../lib/server";
import { snapshotProject } from "../lib/snapshot";
import { percentile, printTable } from "../lib/table";

export const name = "search";

const PORT = 8805;
const QUESTIONS = Number(process.env.BENCH_SEARCH_QUESTIONS ?? 50_000);
const QUERIES = Number(process.env.BENCH_SEARCH_QUERIES ?? 400);
const CONCURRENCY = 4;
const EDITS = 20;
const ADMIN_EMAIL = "bench-admin@bench.test";
const PASSWORD = "Bench-Password-123!";
const SUBJECTS = ["Physics", "Chemistry", "Mathematics", "Biology", "Economics"];
const DIFFICULTIES = ["easy", "medium", "hard"];

/** Deterministic pseudo-random numbers (mulberry32), so every run searches the same bank. */
function random(seed: number) {
  let state = seed;
  return () => {
    state = (state + 0x6d2b79f5) | 0;
    let t = Math.imul(state ^ (state >>> 15), 1 | state);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

const SYLLABLES = ["ka", "ro", "mi", "tel", "on", "pha", "si", "lux", "ter", "gra", "vo", "ne", "qui", "dar", "mo", "zen"];

/** A vocabulary of made-up words: a few common, most rare, as in real question text. */
function vocabulary(next: () => number, size = 4000): string[] {
  const words = new Set<string>();
  while (words.size < size) {
    const length = 2 + Math.floor(next() * 3);
    words.add(Array.from({ length }, () => SYLLABLES[Math.floor(next() * SYLLABLES.length)]).join(""));
  }
  return [...words];
}

/** Zipf-like pick: low indices much more often. */
const pick = (next: () => number, words: string[]) => words[Math.floor(words.length * next() ** 3)]!;

function bankSql(next: () => number, words: string[], now: number): { sql: string; authorId: string } {
  const authorId = newId("user", now);
  const lines = [
    `INSERT INTO users (id, email, name, role, password_hash, timezone, created_at, updated_at) VALUES ('${authorId}', 'bench-author@bench.test', 'Author', 'instructor', 'x', 'UTC', ${now}, ${now});`,
  ];
  for (let start = 0; start < QUESTIONS; start += 100) {
    const rows: string[] = [];
    for (let i = start; i < Math.min(QUESTIONS, start + 100); i++) {
      const body = Array.from({ length: 12 + Math.floor(next() * 12) }, () => pick(next, words)).join(" ");
      const choices = new Set<string>();
      while (choices.size < 4) choices.add(pick(next, words));
      const options = JSON.stringify([...choices]);
      rows.push(
        `('${newId("question", now + i)}', '${authorId}', 'MCQ', '<p>${body}</p>', '${options}', '{"correctOption":0}', '${DIFFICULTIES[i % 3]}', '${SUBJECTS[i % 5]}', 'Topic ${i % 40}', ${now}, ${now})`,
      );
    }
    lines.push(
      `INSERT INTO questions (id, author_id, type, body, options, answer_key, difficulty, subject, topic, created_at, updated_at) VALUES ${rows.join(",\n")};`,
    );
  }
  return { sql: lines.join("\n"), authorId };
}

async function timed<T>(work: () => Promise<T>): Promise<{ value: T; ms: number }> {
  const started = performance.now();
  const value = await work();
  return { value, ms: performance.now() - started };
}

/**
 * Search over a generated bank under wrangler dev: the bulk reindex of the whole bank, query latency
 * (words, phrases, prefixes, typos through the trigram fallback) and the time from an edit to the
 * edited text being findable (event → indexing queue → index).
 */
export async function run(): Promise<void> {
  const next = random(42);
  const words = vocabulary(next);
  const snapshot = snapshotProject();
  const server = await startLocalServer(
    PORT,
    {
      RATE_LIMIT_POLICIES: JSON.stringify({
        api: { limit: 1_000_000, block: null },
        auth: { limit: 1_000_000, block: null },
        search: { limit: 1_000_000, block: null },
      }),
      ADMIN_EMAILS: ADMIN_EMAIL,
    },
    {
      cwd: snapshot,
      beforeStart: (state) => seedLocalD1(state, bankSql(next, words, Date.now()).sql, snapshot),
    },
  );
  try {
    const request = apiClient(server.url);
    const auth = await registerAndSignIn(request, ADMIN_EMAIL, PASSWORD);

    // Bulk reindex of the whole bank (it was written straight into D1, so the index is empty).
    const reindex = await timed(async () => {
      const job = await request("/v1/admin/search/reindex", { method: "POST", headers: auth });
      for (;;) {
        const state = await request(`/v1/jobs/${job.id}`, { headers: auth });
        if (state.status === "COMPLETED") return state;
        if (state.status === "FAILED") throw new Error(`reindex failed: ${state.error}`);
        await new Promise((resolve) => setTimeout(resolve, 250));
      }
    });

    // Query latency by kind of query.
    const kinds: Record<string, () => string> = {
      "one word": () => pick(next, words),
      "two words": () => `${pick(next, words)} ${pick(next, words)}`,
      prefix: () => `${pick(next, words).slice(0, 4)}*`,
      phrase: () => `"${pick(next, words)} ${pick(next, words)}"`,
      "typo (fuzzy)": () => {
        const word = words[Math.floor(next() * 200)]!;
        return `${word.slice(0, -2)}${word.at(-1)}${word.at(-2)}`;
      },
    };
    const rows = [];
    for (const [kind, makeQuery] of Object.entries(kinds)) {
      const latencies: number[] = [];
      let hits = 0;
      let sent = 0;
      await Promise.all(
        Array.from({ length: CONCURRENCY }, async () => {
          while (sent < QUERIES / Object.keys(kinds).length) {
            sent++;
            const { value, ms } = await timed(() => request(`/v1/search?q=${encodeURIComponent(makeQuery())}&limit=20`, { headers: auth }));
            latencies.push(ms);
            hits += value.data.length;
          }
        }),
      );
      latencies.sort((a, b) => a - b);
      rows.push({
        query: kind,
        requests: latencies.length,
        "avg hits": hits / latencies.length,
        p50Ms: percentile(latencies, 50),
        p99Ms: percentile(latencies, 99),
      });
    }

    // From an edit to the new text being findable.
    const bank = await request(`/v1/search?q=${encodeURIComponent(words[0]!)}&type=questions&limit=${EDITS}`, { headers: auth });
    const lags: number[] = [];
    for (const hit of bank.data.slice(0, EDITS)) {
      const marker = `zedit${Math.floor(next() * 1e9)
        .toString(36)
        .replace(/[0-9]/g, "q")}`;
      const started = performance.now();
      await request(`/v1/questions/${hit.id}`, {
        method: "PATCH",
        headers: auth,
        body: JSON.stringify({ body: `<p>Edited ${marker}</p>` }),
      });
      for (;;) {
        const found = await request(`/v1/search?q=${marker}`, { headers: auth });
        if (found.data.length > 0) break;
        if (performance.now() - started > 60_000) throw new Error("an edit was not findable within 60 s");
        await new Promise((resolve) => setTimeout(resolve, 50));
      }
      lags.push(performance.now() - started);
    }
    lags.sort((a, b) => a - b);

    printTable(`Bulk reindex of ${QUESTIONS} questions (wrangler dev, local D1)`, [
      {
        questions: reindex.value.result?.questions ?? 0,
        seconds: reindex.ms / 1000,
        "docs/s": (reindex.value.result?.questions ?? 0) / (reindex.ms / 1000),
      },
    ]);
    printTable(`Search latency over ${QUESTIONS} questions, ${CONCURRENCY} concurrent clients`, rows);
    printTable("From a question edit to its new text being found (event → indexing queue → index)", [
      { edits: lags.length, p50Ms: percentile(lags, 50), p99Ms: percentile(lags, 99), maxMs: lags.at(-1) ?? 0 },
    ]);
  } finally {
    await server.stop();
    rmSync(snapshot, { recursive: true, force: true });
  }
}

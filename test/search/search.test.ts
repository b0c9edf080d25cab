import { beforeAll, describe, expect, it } from "vitest";
import { searchDocuments } from "../../src/db/schema";
import { upsertStatement } from "../../src/lib/search/indexer";
import { questionDocument } from "../../src/lib/search/documents";
import { createUser, type TestUser } from "../helpers/auth";
import { call, sendJson } from "../helpers/http";
import { db, indexedQuestion, indexedTest, reindex, search, uniqueWord } from "./support";
import { eq } from "drizzle-orm";
import { questions } from "../../src/db/schema";

let admin: TestUser;
let author: TestUser;
let student: TestUser;

beforeAll(async () => {
  [admin, author, student] = await Promise.all([createUser({ role: "admin" }), createUser({ role: "instructor" }), createUser()]);
});

describe("ranking", () => {
  it("puts the exact phrase first and a title match above a body match", async () => {
    const word = uniqueWord();
    const phrase = await indexedQuestion(author, { body: `<p>The ${word} flux of a closed surface</p>` });
    const scattered = await indexedQuestion(author, { body: `<p>Flux lines and a ${word} field; closed loops</p>` });
    const inPhrase = await search(author, { q: `"${word} flux"` });
    expect(inPhrase.ids).toEqual([phrase.id]);
    const both = await search(author, { q: `${word} flux` });
    expect(both.ids.slice(0, 2).sort()).toEqual([phrase.id, scattered.id].sort());

    const q = await indexedQuestion(author, { body: "<p>Filler</p>" });
    const titled = await indexedTest(author, [q.id], { title: `The ${word} marathon`, description: "<p>Long practice</p>" });
    const described = await indexedTest(author, [q.id], { title: "Practice set", description: `<p>Covers ${word} in depth</p>` });
    const tests = await search(author, { q: word, type: "tests" });
    expect(tests.ids).toEqual([titled.id, described.id]);
    expect(tests.body!.data[0]!.snippet).toBeTypeOf("string");
  });

  it("highlights the match in an escaped snippet and reports facets", async () => {
    const word = uniqueWord();
    await indexedQuestion(author, { body: `<p>If a &lt; b then ${word} holds</p>`, subject: "Logic", difficulty: "hard" });
    const { body } = await search(author, { q: word });
    expect(body!.data[0]!.snippet).toContain(`<mark>${word}</mark>`);
    expect(body!.data[0]!.snippet).toContain("a &lt; b");
    expect(body!.facets.subject).toEqual({ Logic: 1 });
    expect(body!.facets.difficulty).toEqual({ hard: 1 });
    expect(body!.facets.questionType).toEqual({ MCQ: 1 });
  });
});

describe("prefixes, partial words and typos", () => {
  it("a prefix finds the word; a partial word or a typo falls back to trigrams", async () => {
    const word = uniqueWord("thermodyn");
    const q = await indexedQuestion(author, { body: `<p>Laws of ${word}amics</p>` });
    expect((await search(author, { q: `${word}*` })).ids).toEqual([q.id]);
    const partial = await search(author, { q: `${word.slice(3)}am` });
    expect(partial.body!.mode).toBe("fuzzy");
    expect(partial.ids).toContain(q.id);
    const typo = `${word}amcis`; // two letters swapped
    const fuzzy = await search(author, { q: typo });
    expect(fuzzy.body!.mode).toBe("fuzzy");
    expect(fuzzy.ids[0]).toBe(q.id);
  });

  it("an excluded word removes its matches", async () => {
    const word = uniqueWord();
    const keep = await indexedQuestion(author, { body: `<p>${word} by substitution</p>` });
    await indexedQuestion(author, { body: `<p>${word} by parts integration</p>` });
    expect((await search(author, { q: `${word} -integration` })).ids).toEqual([keep.id]);
  });
});

describe("suggestions", () => {
  it("completes titles as the user types, within what the caller may read", async () => {
    const word = uniqueWord("kinem");
    const q = await indexedQuestion(author, { body: "<p>Filler</p>" });
    const published = await indexedTest(author, [q.id], { title: `${word}atics weekly` });
    await indexedTest(author, [q.id], { title: `${word}atics draft`, published: false });
    const res = await call(`/v1/search/suggest?q=${word.slice(0, 8)}`, { headers: student.headers });
    const { data } = (await res.json()) as { data: { id: string; title: string }[] };
    expect(data.map((s) => s.id)).toEqual([published.id]);
  });
});

describe("edits, deletes and late messages", () => {
  it("an edit replaces the old text and a delete removes the item", async () => {
    const [before, after] = [uniqueWord(), uniqueWord()];
    const q = await indexedQuestion(author, { body: `<p>${before}</p>` });
    const patched = await sendJson(`/v1/questions/${q.id}`, "PATCH", { body: `<p>${after}</p>` }, author.headers);
    expect(patched.status).toBe(200);
    await reindex("question", q.id);
    expect((await search(author, { q: before })).ids).toEqual([]);
    expect((await search(author, { q: after })).ids).toEqual([q.id]);
    expect((await call(`/v1/questions/${q.id}`, { method: "DELETE", headers: author.headers })).status).toBe(204);
    await reindex("question", q.id);
    expect((await search(admin, { q: after })).ids).toEqual([]);
  });

  it("a late index write of an older version does not put the old text back", async () => {
    const [oldWord, newWord] = [uniqueWord(), uniqueWord()];
    const q = await indexedQuestion(author, { body: `<p>${oldWord}</p>` });
    const stale = (await db.select().from(questions).where(eq(questions.id, q.id)).get())!;
    await sendJson(`/v1/questions/${q.id}`, "PATCH", { body: `<p>${newWord}</p>` }, author.headers);
    await reindex("question", q.id);
    // The slow job that read the row before the edit writes last.
    await upsertStatement(db, questionDocument(stale, Date.now()));
    expect((await search(author, { q: oldWord })).ids).toEqual([]);
    expect((await search(author, { q: newWord })).ids).toEqual([q.id]);
    const doc = await db.select().from(searchDocuments).where(eq(searchDocuments.resourceId, q.id)).get();
    expect(doc!.body).toContain(newWord);
  });
});

import { beforeAll, describe, expect, it } from "vitest";
import { createApiKey, createUser, type TestUser } from "../helpers/auth";
import { call } from "../helpers/http";
import { indexedQuestion, indexedTest, search, uniqueWord } from "./support";

let admin: TestUser;
let author: TestUser;
let otherAuthor: TestUser;
let student: TestUser;

beforeAll(async () => {
  [admin, author, otherAuthor, student] = await Promise.all([
    createUser({ role: "admin" }),
    createUser({ role: "instructor" }),
    createUser({ role: "instructor" }),
    createUser(),
  ]);
});

describe("who finds what", () => {
  it("a word only in an answer or an explanation is never found, by anyone", async () => {
    const [optionWord, explanationWord] = [uniqueWord(), uniqueWord()];
    await indexedQuestion(author, {
      type: "INTEGER",
      body: "<p>How many sides?</p>",
      options: undefined,
      correctOption: undefined,
      answer: 6,
      explanation: `Because ${explanationWord}`,
    });
    for (const user of [admin, author, student]) expect((await search(user, { q: explanationWord })).ids).toEqual([]);
    // Options are shown with the question, so they are searchable, by those who may read the question.
    const q = await indexedQuestion(author, { body: "<p>Pick one</p>", options: [optionWord, "other"] });
    expect((await search(author, { q: optionWord })).ids).toEqual([q.id]);
  });

  it("students find published tests only: not questions, not drafts; no count or facet gives them away", async () => {
    const word = uniqueWord();
    const q = await indexedQuestion(author, { body: `<p>${word} in a question body</p>`, subject: "Secretology" });
    const draft = await indexedTest(author, [q.id], { title: `${word} draft`, published: false });
    const openQuestion = await indexedQuestion(author, { body: "<p>Open question</p>", subject: "Physics" });
    const published = await indexedTest(author, [openQuestion.id], { title: `${word} open mock` });
    const seen = await search(student, { q: word });
    expect(seen.ids).toEqual([published.id]);
    expect(seen.body!.facets.subject).not.toHaveProperty("Secretology");
    expect(JSON.stringify(seen.body)).not.toContain(q.id);
    expect(JSON.stringify(seen.body)).not.toContain(draft.id);
    expect((await search(student, { q: word, type: "questions" })).ids).toEqual([]);
  });

  it("instructors find their own questions and drafts and others' published tests; admins everything", async () => {
    const word = uniqueWord();
    const mine = await indexedQuestion(author, { body: `<p>${word}</p>` });
    const theirs = await indexedQuestion(otherAuthor, { body: `<p>${word}</p>` });
    const theirDraft = await indexedTest(otherAuthor, [theirs.id], { title: `${word} draft`, published: false });
    const theirMock = await indexedTest(otherAuthor, [theirs.id], { title: `${word} mock` });
    expect((await search(author, { q: word })).ids.sort()).toEqual([mine.id, theirMock.id].sort());
    expect((await search(admin, { q: word })).ids.sort()).toEqual([mine.id, theirs.id, theirDraft.id, theirMock.id].sort());
  });

  it("needs a credential with search:read", async () => {
    expect((await call("/v1/search?q=x")).status).toBe(401);
    const key = await createApiKey(student.headers, { scopes: ["profile:read"] });
    expect((await call("/v1/search?q=x", { headers: key.headers })).status).toBe(403);
    const searchKey = await createApiKey(student.headers, { scopes: ["search:read"] });
    expect((await call("/v1/search?q=x", { headers: searchKey.headers })).status).toBe(200);
  });
});

describe("hostile queries", () => {
  it("FTS5 syntax, unbalanced quotes and oversized strings answer 200 or 400, never 500", async () => {
    const nasty = [
      '"',
      '"unbalanced',
      "*",
      "-",
      "--",
      "-only",
      "NEAR(a b, 2)",
      "title:secret",
      "a OR b AND NOT c",
      "^start",
      "(((",
      ")",
      "{title} : x",
      "'; DROP TABLE users; --",
      "x".repeat(512),
      "x".repeat(10_000),
      "a ".repeat(40),
      "😀 ∫ dx",
      "\u200b\u200b",
      "a\u202eb",
      "%",
      "_",
      "\\",
      "NOT",
      "AND",
    ];
    for (const q of nasty) {
      const { status } = await search(author, { q });
      expect([200, 400], JSON.stringify(q.slice(0, 40))).toContain(status);
    }
    for (const q of ["a\u0000b", "x".repeat(10_000)]) expect((await search(author, { q })).status).toBe(400);
    const refused = await call("/v1/search?q=-only", { headers: author.headers });
    expect(refused.status).toBe(400);
    expect(((await refused.json()) as { errors: { path: string }[] }).errors[0]!.path).toBe("q");
  });

  it("a forged or out-of-range cursor is a 400", async () => {
    for (const cursor of ["garbage", btoa(JSON.stringify({ o: 5000, f: 0 })), btoa(JSON.stringify({ o: -1, f: 0 }))]) {
      expect((await search(author, { q: "x", cursor })).status).toBe(400);
    }
  });
});

describe("paging", () => {
  it("walks a result list with the cursor, without repeats", async () => {
    const word = uniqueWord();
    const ids: string[] = [];
    for (let i = 0; i < 5; i++) ids.push((await indexedQuestion(author, { body: `<p>${word} number ${i}</p>` })).id);
    const first = await search(author, { q: word, limit: "2" });
    const second = await search(author, { q: word, limit: "2", cursor: first.body!.nextCursor! });
    const third = await search(author, { q: word, limit: "2", cursor: second.body!.nextCursor! });
    expect(third.body!.nextCursor).toBeNull();
    expect([...first.ids, ...second.ids, ...third.ids].sort()).toEqual(ids.sort());
  });
});

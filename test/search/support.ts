import { env } from "cloudflare:workers";
import { expect } from "vitest";
import { createDb } from "../../src/db";
import type { SearchKind } from "../../src/db/schema";
import { indexResource } from "../../src/lib/search/indexer";
import type { TestUser } from "../helpers/auth";
import { call, sendJson } from "../helpers/http";
import { json } from "../exam/fixtures";

export const db = createDb(env.DB);

/** A word no other test of the file uses, so each test searches its own corpus in the shared database. */
export function uniqueWord(stem = "zq"): string {
  return `${stem}${crypto
    .randomUUID()
    .replaceAll("-", "")
    .slice(0, 10)
    .replace(/[0-9]/g, (d) => "abcdefghij"[Number(d)]!)}`;
}

/** Creates a question through the route and indexes it (real-time sync is tested on its own). */
export async function indexedQuestion(author: TestUser, fields: Record<string, unknown>) {
  const res = await sendJson(
    "/v1/questions",
    "POST",
    { type: "MCQ", options: ["one", "two"], correctOption: 0, marks: 1, subject: "Physics", topic: "Heat", ...fields },
    author.headers,
  );
  expect(res.status, await res.clone().text()).toBe(201);
  const question = await json(res);
  await indexResource(db, "question", question.id);
  return question as { id: string };
}

export async function indexedTest(author: TestUser, questionIds: string[], fields: Record<string, unknown>) {
  const res = await sendJson(
    "/v1/tests",
    "POST",
    { description: "<p>Practice</p>", durationMinutes: 30, sections: [{ title: "A", questionIds }], published: true, ...fields },
    author.headers,
  );
  expect(res.status, await res.clone().text()).toBe(201);
  const test = await json(res);
  await indexResource(db, "test", test.id);
  return test as { id: string };
}

export async function reindex(kind: SearchKind, id: string) {
  await indexResource(db, kind, id);
}

interface Hit {
  id: string;
  type: SearchKind;
  title: string;
  snippet: string;
  score: number;
}

export async function search(user: TestUser, query: Record<string, string>) {
  const res = await call(`/v1/search?${new URLSearchParams(query)}`, { headers: user.headers });
  const body =
    res.status === 200
      ? ((await res.json()) as { data: Hit[]; facets: Record<string, Record<string, number>>; mode: string; nextCursor: string | null })
      : null;
  return { status: res.status, body, ids: body?.data.map((hit) => hit.id) ?? [] };
}

import { env } from "cloudflare:workers";
import { beforeAll, describe, expect, it } from "vitest";
import { TEXT_MESSAGES } from "../../src/lib/validation/text";
import { createUser, type TestUser } from "../helpers/auth";
import { call, problemOf, sendJson } from "../helpers/http";
import { answer, createFullTest, createQuestion, json, SAMPLE_QUESTIONS, startAttempt } from "../exam/fixtures";

/**
 * The one plain-text rule (src/lib/validation/text.ts), field by field through the HTTP API: every
 * free-text field refuses the same hostile characters with the same `validation_failed` path and
 * message, and stores what it accepts NFC-normalised.
 */

let student: TestUser;
let instructor: TestUser;
let admin: TestUser;

beforeAll(async () => {
  [student, instructor, admin] = await Promise.all([createUser(), createUser({ role: "instructor" }), createUser({ role: "admin" })]);
});

/** Hostile in every free-text field, single- or multi-line; each with the message it must be refused with. */
const HOSTILE: [string, string, string][] = [
  ["NUL", "a\u0000b", TEXT_MESSAGES.singleLine],
  ["BEL", "a\u0007b", TEXT_MESSAGES.singleLine],
  ["a terminal escape sequence", "a\u001b[2Jb", TEXT_MESSAGES.singleLine],
  ["DEL", "a\u007fb", TEXT_MESSAGES.singleLine],
  ["C1 next-line", "a\u0085b", TEXT_MESSAGES.singleLine],
  ["C1 control-sequence introducer", "a\u009b31mb", TEXT_MESSAGES.singleLine],
  ...[0x202a, 0x202b, 0x202c, 0x202d, 0x202e, 0x2066, 0x2067, 0x2068, 0x2069].map((code): [string, string, string] => [
    `bidi U+${code.toString(16).toUpperCase()}`,
    `invoice${String.fromCharCode(code)}fdp.exe`,
    TEXT_MESSAGES.bidi,
  ]),
  ["a lone high surrogate", "a\ud800b", TEXT_MESSAGES.loneSurrogate],
  ["a lone low surrogate", "a\udfffb", TEXT_MESSAGES.loneSurrogate],
];

/** Allowed in multi-line fields only. */
const LINE_BREAKS: [string, string][] = [
  ["a newline", "a\nb"],
  ["a tab", "a\tb"],
  ["a carriage return", "a\rb"],
  ["a line separator", "a\u2028b"],
];

interface Field {
  name: string;
  /** The `errors[].path` the refusal names. */
  path: string;
  multiline: boolean;
  /** A query parameter: UTF-8 in a URL cannot carry a lone surrogate (it arrives as U+FFFD), so those samples are skipped. */
  inUrl?: boolean;
  send(value: string): Promise<Response>;
}

const at = (hours: number) => new Date(Date.UTC(2026, 10, 1, 8) + hours * 3600_000).toISOString();

const FIELDS: Field[] = [
  { name: "user name", path: "name", multiline: false, send: (v) => sendJson("/v1/me", "PATCH", { name: v }, student.headers) },
  { name: "user bio", path: "bio", multiline: true, send: (v) => sendJson("/v1/me", "PATCH", { bio: v }, student.headers) },
  {
    name: "target exam",
    path: "targetExam",
    multiline: false,
    send: (v) => sendJson("/v1/me", "PATCH", { targetExam: v }, student.headers),
  },
  {
    name: "API key name",
    path: "name",
    multiline: false,
    send: (v) => sendJson("/v1/api-keys", "POST", { name: v, scopes: ["questions:read"] }, student.headers),
  },
  {
    name: "question subject",
    path: "subject",
    multiline: false,
    send: (v) => sendJson("/v1/questions", "POST", { ...SAMPLE_QUESTIONS.MCQ, subject: v }, instructor.headers),
  },
  {
    name: "question body (rich text)",
    path: "body",
    multiline: true,
    send: (v) => sendJson("/v1/questions", "POST", { ...SAMPLE_QUESTIONS.MCQ, body: v }, instructor.headers),
  },
  {
    name: "question option (rich text)",
    path: "options.2",
    multiline: true,
    send: (v) => sendJson("/v1/questions", "POST", { ...SAMPLE_QUESTIONS.MCQ, options: ["3", "4", v] }, instructor.headers),
  },
  {
    name: "question list filter",
    path: "topic",
    multiline: false,
    inUrl: true,
    send: (v) => call(`/v1/questions?topic=${encodeURIComponent(v)}`, { headers: instructor.headers }),
  },
  {
    name: "section title",
    path: "sections.0.title",
    multiline: false,
    send: (v) =>
      sendJson(
        "/v1/tests",
        "POST",
        { title: "T", durationMinutes: 10, sections: [{ title: v, questionIds: [`qst_${"0".repeat(26)}`] }] },
        instructor.headers,
      ),
  },
  {
    name: "goal title",
    path: "title",
    multiline: false,
    send: (v) => sendJson("/v1/planner/goals", "POST", { title: v, targetDate: "2030-01-01", targetHours: 5 }, student.headers),
  },
  {
    name: "session notes",
    path: "notes",
    multiline: true,
    send: (v) => sendJson("/v1/planner/sessions", "POST", { startedAt: at(0), endedAt: at(1), notes: v }, student.headers),
  },
  {
    name: "plan feature",
    path: "features.0",
    multiline: false,
    send: (v) => sendJson("/v1/plans", "POST", { name: "Plan", priceCents: 100, intervalMonths: 1, features: [v] }, admin.headers),
  },
  {
    name: "role change reason",
    path: "reason",
    multiline: true,
    send: (v) => sendJson(`/v1/admin/users/${student.user.id}`, "PATCH", { role: "student", reason: v }, admin.headers),
  },
];

describe("every free-text field refuses hostile characters with one validation_failed", () => {
  for (const field of FIELDS) {
    const samples: [string, string, string][] = [
      ...HOSTILE.filter(([, , message]) => !(field.inUrl && message === TEXT_MESSAGES.loneSurrogate)).map(
        ([label, value, message]): [string, string, string] => [
          label,
          value,
          message === TEXT_MESSAGES.singleLine && field.multiline ? TEXT_MESSAGES.multiLine : message,
        ],
      ),
      ...(field.multiline ? [] : LINE_BREAKS.map(([label, value]): [string, string, string] => [label, value, TEXT_MESSAGES.singleLine])),
    ];
    it(`${field.name}: ${samples.length} hostile samples`, async () => {
      for (const [label, value, message] of samples) {
        const res = await field.send(value);
        expect(res.status, `${label}: ${await res.clone().text()}`).toBe(400);
        const problem = await problemOf(res);
        expect(problem.code, label).toBe("validation_failed");
        expect(problem.errors, label).toContainEqual({ path: field.path, message });
      }
    });
  }

  it("stores nothing that was refused", async () => {
    const user = await createUser();
    for (const [, value] of HOSTILE) {
      expect((await sendJson("/v1/api-keys", "POST", { name: value, scopes: ["questions:read"] }, user.headers)).status).toBe(400);
      expect(
        (await sendJson("/v1/planner/goals", "POST", { title: value, targetDate: "2030-01-01", targetHours: 5 }, user.headers)).status,
      ).toBe(400);
    }
    const counts = await env.DB.prepare(
      "SELECT (SELECT count(*) FROM api_keys WHERE owner_id = ?1) AS keys, (SELECT count(*) FROM study_goals WHERE user_id = ?1) AS goals",
    )
      .bind(user.user.id)
      .first();
    expect(counts).toEqual({ keys: 0, goals: 0 });
  });

  it("refuses hostile subjective answers and grader feedback", async () => {
    const { test, ids } = await createFullTest(instructor.headers);
    const taker = await createUser();
    const attempt = await startAttempt(taker.headers, test.id);
    for (const [label, value, message] of HOSTILE) {
      const res = await answer(taker.headers, attempt.id, ids.SUBJECTIVE, value);
      expect(res.status, label).toBe(400);
      const expected = message === TEXT_MESSAGES.singleLine ? TEXT_MESSAGES.multiLine : message;
      expect((await problemOf(res)).errors, label).toContainEqual({ path: "answer", message: expected });
    }
    const feedback = await sendJson(
      `/v1/attempts/${attempt.id}/answers/${ids.SUBJECTIVE}/grade`,
      "PUT",
      { marks: 1, feedback: "good\u202Ework" },
      instructor.headers,
    );
    expect(feedback.status).toBe(400);
    expect((await problemOf(feedback)).errors).toContainEqual({ path: "feedback", message: TEXT_MESSAGES.bidi });
  });
});

describe("what the rule accepts, it stores normalised", () => {
  it("stores NFC, and the composed and decomposed forms of a word find the same question", async () => {
    const decomposed = "Cafe\u0301 chemistry";
    const composed = "Caf\u00e9 chemistry";
    const question = await createQuestion(instructor.headers, "MCQ", { subject: decomposed, topic: `Topic ${crypto.randomUUID()}` });
    expect(question.subject).toBe(composed);
    const row = await env.DB.prepare("SELECT subject FROM questions WHERE id = ?").bind(question.id).first<{ subject: string }>();
    expect(row!.subject).toBe(composed);
    for (const form of [composed, decomposed]) {
      const list = await json(
        await call(`/v1/questions?subject=${encodeURIComponent(form)}&topic=${encodeURIComponent(question.topic)}`, {
          headers: instructor.headers,
        }),
      );
      expect(list.data.map((q: { id: string }) => q.id)).toEqual([question.id]);
    }
  });

  it("judges duplicate options after normalising, so two spellings of one option are one option", async () => {
    const res = await sendJson(
      "/v1/questions",
      "POST",
      { ...SAMPLE_QUESTIONS.MCQ, options: ["\u00e9t\u00e9", "e\u0301te\u0301", "hiver"] },
      instructor.headers,
    );
    expect(res.status).toBe(400);
    expect((await problemOf(res)).errors).toContainEqual({ path: "options.1", message: "Duplicate option" });
  });

  it("keeps tabs and newlines in multi-line text, turning CRLF and CR into LF", async () => {
    const res = await sendJson(
      "/v1/planner/sessions",
      "POST",
      { startedAt: at(10), endedAt: at(11), notes: "  line 1\r\n\tindented\rline 3\n" },
      student.headers,
    );
    expect(res.status, await res.clone().text()).toBe(201);
    expect((await json(res)).notes).toBe("line 1\n\tindented\nline 3");
  });

  it("accepts right-to-left text with its directional marks, emoji sequences and combining marks", async () => {
    for (const name of [
      "\u200F\u05de\u05d1\u05d7\u05df \u05e8\u05d0\u05e9\u05d5\u05df",
      "\u0645\u0631\u064a\u0645\u061c 2",
      "Ana \u{1F469}\u200D\u{1F52C}",
      "\u0928\u092e\u0938\u094d\u0924\u0947",
    ]) {
      const res = await sendJson("/v1/me", "PATCH", { name }, student.headers);
      expect(res.status, await res.clone().text()).toBe(200);
      expect((await json(res)).user.name).toBe(name.normalize("NFC"));
    }
  });

  it("under concurrent writes of one field, every hostile value is refused and the stored value is always NFC", async () => {
    const writer = await createUser();
    const values = Array.from({ length: 24 }, (_, i) => (i % 3 === 0 ? `Zo\u0308e ${i}` : i % 3 === 1 ? `Zo\u00eb ${i}` : `Zoe\u202E${i}`));
    const responses = await Promise.all(values.map((name) => sendJson("/v1/me", "PATCH", { name }, writer.headers)));
    expect(responses.map((r) => r.status)).toEqual(values.map((_, i) => (i % 3 === 2 ? 400 : 200)));
    const stored = await env.DB.prepare("SELECT name FROM users WHERE id = ?").bind(writer.user.id).first<{ name: string }>();
    expect(stored!.name).toMatch(/^Zo\u00eb \d+$/);
  });

  it("measures length after normalising: 100 decomposed letters fit a 100-character name", async () => {
    const res = await sendJson("/v1/me", "PATCH", { name: "e\u0301".repeat(100) }, student.headers);
    expect(res.status, await res.clone().text()).toBe(200);
    expect((await json(res)).user.name).toBe("\u00e9".repeat(100));
  });
});

import type { NewSearchDocument, Question, Test } from "../../db/schema";
import { htmlToPlainText, truncate } from "../plain-text";

const TITLE_CHARS = 160;

/**
 * A question as search sees it: its body and options in plain text, and its classification as
 * tags. The answer key and the explanation never enter the index, so no search can reveal them.
 */
export function questionDocument(question: Question, now: number): NewSearchDocument {
  const body = htmlToPlainText(question.body);
  const options = (question.options ?? []).map(htmlToPlainText);
  return {
    kind: "question",
    resourceId: question.id,
    ownerId: question.authorId,
    published: false,
    title: truncate(body, TITLE_CHARS),
    body: [body, ...options].join("\n"),
    tags: [question.subject, question.topic, question.type, question.difficulty].filter(Boolean).join(" "),
    subject: question.subject,
    topic: question.topic,
    difficulty: question.difficulty,
    questionType: question.type,
    version: Math.max(question.updatedAt, question.deletedAt ?? 0),
    deleted: question.deletedAt !== null,
    indexedAt: now,
  };
}

/** A test: title, description in plain text, and the subjects of its questions. */
export function testDocument(test: Test, subjects: string[], now: number): NewSearchDocument {
  return {
    kind: "test",
    resourceId: test.id,
    ownerId: test.authorId,
    published: test.published,
    title: test.title,
    body: htmlToPlainText(test.description ?? ""),
    tags: subjects.join(" "),
    subject: subjects.length === 1 ? subjects[0]! : null,
    topic: null,
    difficulty: null,
    questionType: null,
    version: Math.max(test.updatedAt, test.deletedAt ?? 0),
    deleted: test.deletedAt !== null,
    indexedAt: now,
  };
}

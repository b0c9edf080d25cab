import type { Question } from "../../db/schema";
import { htmlToPlainText, truncate } from "../plain-text";

/** Option letters as a test taker sees them: A, B, C… */
export const optionLetter = (index: number) => String.fromCharCode(65 + index);

/** A question's rich text as one line of plain text for a report cell. */
export const plain = (html: string | null | undefined, max = 400) => (html ? truncate(htmlToPlainText(html), max) : "");

/** A response in words: option letters with their text, a number, or the written answer. */
export function describeAnswer(question: Pick<Question, "type" | "options">, answer: unknown): string {
  if (answer === null || answer === undefined) return "—";
  const option = (index: unknown) =>
    typeof index === "number" && question.options?.[index] !== undefined
      ? `${optionLetter(index)}. ${plain(question.options[index], 80)}`
      : String(index);
  switch (question.type) {
    case "MCQ":
      return option(answer);
    case "MSQ":
      return Array.isArray(answer) ? answer.map(option).join("; ") : String(answer);
    case "SUBJECTIVE":
      return typeof answer === "string" ? plain(answer, 600) : String(answer);
    default:
      return String(answer);
  }
}

/** The answer key in words (for a scored attempt's result card). */
export function describeKey(question: Pick<Question, "type" | "options" | "answerKey">): string {
  const key = question.answerKey as Record<string, unknown>;
  switch (question.type) {
    case "MCQ":
      return describeAnswer(question, key.correctOption);
    case "MSQ":
      return describeAnswer(question, key.correctOptions);
    case "INTEGER":
      return String(key.answer);
    case "RANGE":
      return `${key.min} to ${key.max}`;
    case "SUBJECTIVE":
      return "Graded by hand";
  }
}

/** `2026-12-03 14:05` in the reader's time zone (UTC when the zone is unknown). */
export function formatDateTime(epochMs: number, timeZone = "UTC"): string {
  const options: Intl.DateTimeFormatOptions = {
    year: "numeric",
    month: "2-digit",
    day: "2-digit",
    hour: "2-digit",
    minute: "2-digit",
    hourCycle: "h23",
  };
  let parts: Intl.DateTimeFormatPart[];
  try {
    parts = new Intl.DateTimeFormat("en-CA", { ...options, timeZone }).formatToParts(epochMs);
  } catch {
    parts = new Intl.DateTimeFormat("en-CA", { ...options, timeZone: "UTC" }).formatToParts(epochMs);
  }
  const part = (type: string) => parts.find((p) => p.type === type)?.value ?? "";
  return `${part("year")}-${part("month")}-${part("day")} ${part("hour")}:${part("minute")}`;
}

/** `1 h 04 min`, `12 min 30 s`, `45 s`. */
export function formatDuration(seconds: number): string {
  const s = Math.max(0, Math.round(seconds));
  if (s >= 3600) return `${Math.floor(s / 3600)} h ${String(Math.floor((s % 3600) / 60)).padStart(2, "0")} min`;
  if (s >= 60) return `${Math.floor(s / 60)} min ${String(s % 60).padStart(2, "0")} s`;
  return `${s} s`;
}

/** 0.8123 → "81.2%"; null → "—". */
export const percent = (fraction: number | null | undefined, places = 1) =>
  fraction === null || fraction === undefined || !Number.isFinite(fraction) ? "—" : `${(fraction * 100).toFixed(places)}%`;

/** A score without float noise: 12.5, 40, -1.25. */
export const score = (value: number | null | undefined) =>
  value === null || value === undefined ? "—" : String(Math.round(value * 100) / 100);

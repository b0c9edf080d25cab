import { z } from "zod";

export interface TextOptions {
  max: number;
  /** Default 1: blank text is refused. 0 for optional free text where "" means "none". */
  min?: number;
  /** Allows tab and newline (notes, reasons, descriptions). */
  multiline?: boolean;
}

const BIDI_CONTROLS = /[\u202A-\u202E\u2066-\u2069]/;
const SINGLE_LINE_FORBIDDEN = /[\p{Cc}\u2028\u2029]/u;
const MULTI_LINE_FORBIDDEN = /(?![\t\n])\p{Cc}/u;

export const TEXT_MESSAGES = {
  loneSurrogate: "Must be valid Unicode text (it contains a lone surrogate)",
  singleLine: "Must be a single line without control characters",
  multiLine: "Must not contain control characters other than tab and newline",
  bidi: "Must not contain bidirectional override or isolate characters (U+202A–U+202E, U+2066–U+2069)",
} as const;

/**
 * The one rule for text people type: names, titles, subjects, reasons, notes, key names and (with the
 * sanitiser behind it) rich text. Every such field is built here, so the rule cannot drift between
 * schemas.
 *
 * In order: the string must be well-formed UTF-16 (no lone surrogate, which JSON's `\uD800` escape can
 * carry, and which breaks every encoder downstream); it is NFC-normalised, so `é` typed either way
 * is stored, compared and searched as one string; multi-line text has CRLF and CR turned into LF;
 * then it is trimmed, and refused if it holds a control character (tab and newline are allowed only
 * in multi-line text; U+2028/U+2029 line separators only there too) or a bidirectional override or
 * isolate (U+202A–U+202E, U+2066–U+2069), which make text display in an order other than the one
 * stored ("Trojan Source"). Length limits apply to the normalised, trimmed text.
 */
export function plainText({ max, min = 1, multiline = false }: TextOptions) {
  const wellFormed = z
    .string()
    .refine((value) => value.isWellFormed(), TEXT_MESSAGES.loneSurrogate)
    .normalize("NFC");
  const lines = multiline ? wellFormed.overwrite((value) => value.replace(/\r\n?/g, "\n")) : wellFormed;
  return lines
    .trim()
    .refine(
      (value) => !(multiline ? MULTI_LINE_FORBIDDEN : SINGLE_LINE_FORBIDDEN).test(value),
      multiline ? TEXT_MESSAGES.multiLine : TEXT_MESSAGES.singleLine,
    )
    .refine((value) => !BIDI_CONTROLS.test(value), TEXT_MESSAGES.bidi)
    .min(min, min === 1 ? "Must not be blank" : `Must be at least ${min} characters`)
    .max(max, `Must be at most ${max} characters`);
}

/**
 * HTML-bearing text (question bodies, options, explanations, rubrics, descriptions, feedback,
 * subjective answers): the same character rule as multi-line plain text. Markup is not judged here;
 * the sanitiser (`lib/security/sanitize.ts`) rebuilds it from an allow-list afterwards. Right-to-left
 * text keeps the directional marks it needs (U+200E, U+200F, U+061C); only the overrides and isolates
 * that reorder what a reader sees against what is stored are refused, here as in plain text.
 */
export function richText(options: Omit<TextOptions, "multiline">) {
  return plainText({ ...options, multiline: true });
}

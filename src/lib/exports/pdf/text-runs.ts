import { type Face, type Script, faceOf, fontOf } from "./fonts";

/** A stretch of one line set in one face. */
export interface FaceRun {
  face: Face;
  text: string;
}

/** Drawn for a character neither font has. */
const MISSING = "?";

const CONTROL_EXCEPT_NEWLINE = /(?!\n)\p{Cc}/gu;
const LONE_SURROGATE = /\p{Cs}/gu;
const LINE_SEPARATOR = /\r\n?|[\u2028\u2029]/g;

/**
 * Caller text made safe to set: NFC, every line break as "\n", other control characters as a space,
 * an unpaired surrogate as "?".
 */
export function cleanText(text: string): string {
  return text.normalize("NFC").replace(LINE_SEPARATOR, "\n").replace(CONTROL_EXCEPT_NEWLINE, " ").replace(LONE_SURROGATE, MISSING);
}

/** Clean text on one line: line breaks become spaces (labels, headers). */
export const oneLine = (text: string) => cleanText(text).replace(/\n/g, " ");

const isDevanagari = (codePoint: number) =>
  (codePoint >= 0x0900 && codePoint <= 0x097f) ||
  (codePoint >= 0xa8e0 && codePoint <= 0xa8ff) ||
  (codePoint >= 0x1cd0 && codePoint <= 0x1cff);

// ZWNJ and ZWJ steer conjunct forming: inside a Devanagari run they must reach its shaper.
const isJoiner = (codePoint: number) => codePoint === 0x200c || codePoint === 0x200d;

const otherScript = (script: Script): Script => (script === "latin" ? "devanagari" : "latin");

/**
 * One line of clean text split into runs by script: Devanagari (and the joiners inside it) to Noto Sans
 * Devanagari, everything else to Noto Sans. A character its script's font lacks falls back to the other
 * font, and to "?" when neither has it.
 */
export function textRuns(text: string, bold: boolean): FaceRun[] {
  const runs: FaceRun[] = [];
  let previous = "latin" as Script;
  for (const char of text) {
    const codePoint = char.codePointAt(0)!;
    const script: Script = isDevanagari(codePoint) || (isJoiner(codePoint) && previous === "devanagari") ? "devanagari" : "latin";
    let face = faceOf(script, bold);
    let shown = char;
    if (!fontOf(face).hasGlyphForCodePoint(codePoint)) {
      const fallback = faceOf(otherScript(script), bold);
      if (fontOf(fallback).hasGlyphForCodePoint(codePoint)) face = fallback;
      else [face, shown] = [faceOf("latin", bold), MISSING];
    }
    const last = runs.at(-1);
    if (last?.face === face) last.text += shown;
    else runs.push({ face, text: shown });
    previous = script;
  }
  return runs;
}

/// <reference path="./font-modules.d.ts" />
// fontkit's Indic shaper is a transpiled generator that calls a global `regeneratorRuntime`: without
// this, laying out Devanagari throws "regeneratorRuntime is not defined".
import "regenerator-runtime/runtime.js";
import fontkit, { type Font } from "@pdf-lib/fontkit";
import type { PDFDocument, PDFFont } from "pdf-lib";
import notoSansBold from "@expo-google-fonts/noto-sans/700Bold/NotoSans_700Bold.ttf";
import notoSansRegular from "@expo-google-fonts/noto-sans/400Regular/NotoSans_400Regular.ttf";
import notoSansDevanagariBold from "@expo-google-fonts/noto-sans-devanagari/700Bold/NotoSansDevanagari_700Bold.ttf";
import notoSansDevanagariRegular from "@expo-google-fonts/noto-sans-devanagari/400Regular/NotoSansDevanagari_400Regular.ttf";

/** The scripts the reports set: Latin (with Latin-1, Latin Extended, Greek and Cyrillic) and Devanagari. */
export type Script = "latin" | "devanagari";

/** One embeddable font file: a script in a weight. */
export type Face = `${Script}-${"regular" | "bold"}`;

const FONT_FILES: Record<Face, ArrayBuffer> = {
  "latin-regular": notoSansRegular,
  "latin-bold": notoSansBold,
  "devanagari-regular": notoSansDevanagariRegular,
  "devanagari-bold": notoSansDevanagariBold,
};

export const faceOf = (script: Script, bold: boolean): Face => `${script}-${bold ? "bold" : "regular"}`;

const fontFile = (face: Face) => new Uint8Array(FONT_FILES[face]);

// Parsed once per isolate: measuring, shaping and glyph coverage need no per-document copy.
const parsed = new Map<Face, Font>();

/** The parsed font of a face, for glyph coverage, measuring and shaping. */
export function fontOf(face: Face): Font {
  let font = parsed.get(face);
  if (!font) {
    font = fontkit.create(fontFile(face));
    parsed.set(face, font);
  }
  return font;
}

/** The part of fontkit's TrueType subset writer the fix below reaches into. */
interface SubsetWriter {
  loca: { version?: number };
  _addGlyph(glyphId: number): number;
}

let subsetOffsetsFixed = false;

/**
 * @pdf-lib/fontkit 1.1 writes a subset's glyph offsets in the short format (offsets halved) whenever
 * the subset is small, although Noto's glyph records have odd lengths: every glyph after the first odd
 * one then points into the middle of another, and poppler or pdf.js draw most text blank. Upstream
 * fontkit fixed it by keeping the long format (foliojs/fontkit#191); this does the same, once.
 */
function fixSubsetGlyphOffsets(): void {
  if (subsetOffsetsFixed) return;
  const writer = Object.getPrototypeOf(fontOf("latin-regular").createSubset()) as SubsetWriter;
  const addGlyph = writer._addGlyph;
  writer._addGlyph = function (this: SubsetWriter, glyphId: number) {
    this.loca.version = 1;
    return addGlyph.call(this, glyphId);
  };
  subsetOffsetsFixed = true;
}

/** Embeds a face in a document as a subset: only the glyphs the document shows are written. */
export function embedFace(pdf: PDFDocument, face: Face): Promise<PDFFont> {
  fixSubsetGlyphOffsets();
  // pdf-lib would parse the file again, and decode its shaping tables again, for every document; the
  // isolate's parsed font serves as well (a subset is still made per document).
  pdf.registerFontkit({ create: () => fontOf(face) });
  return pdf.embedFont(fontFile(face), { subset: true });
}

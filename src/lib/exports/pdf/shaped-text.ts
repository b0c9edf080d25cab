import {
  beginText,
  type Color,
  endText,
  PDFArray,
  type PDFContext,
  type PDFFont,
  PDFHexString,
  type PDFName,
  PDFNumber,
  PDFOperator,
  PDFOperatorNames,
  type PDFPage,
  popGraphicsState,
  pushGraphicsState,
  setFillingColor,
  setFontAndSize,
  setTextMatrix,
  setTextRise,
} from "pdf-lib";
import { type Face, fontOf } from "./fonts";
import type { Shaper } from "./shaping";
import type { SetLine } from "./typesetter";

/** Hex digits per glyph id in the string pdf-lib encodes text into (Identity-H, two bytes a glyph). */
const HEX_PER_GLYPH = 4;

const rounded = (value: number) => Math.round(value * 100) / 100;

/**
 * Draws set lines as PDF text with their shaping applied.
 *
 * pdf-lib's drawText advances each glyph by its nominal width and drops the font's positioning (GPOS):
 * kerning, and where a Devanagari mark sits on its base (the vowel sign below क drifts off to the right).
 * So each word's glyphs come from the document's `Shaper`, pdf-lib encodes the same word into subset
 * glyph ids (its `encodeText` shapes with the same font and features, and records the glyphs for the
 * subset and the ToUnicode map, so the text stays extractable), and the run is shown with TJ, whose
 * numbers move the pen from each glyph's nominal place to its shaped one; a vertical offset sets the rise.
 * One per saved file: the glyph ids belong to that file's subsets.
 */
export class ShapedTextWriter {
  private readonly glyphIds = new Map<string, string>();
  private readonly fontKeys = new WeakMap<PDFPage, Map<Face, PDFName>>();

  constructor(
    private readonly context: PDFContext,
    private readonly fonts: Map<Face, PDFFont>,
    private readonly shaper: Shaper,
  ) {}

  /** One line, its baseline starting at (x, y) in PDF coordinates (from the bottom left). */
  draw(page: PDFPage, line: SetLine, x: number, y: number, size: number, color: Color): void {
    if (line.runs.length === 0) return;
    const operators = [pushGraphicsState(), beginText(), setFillingColor(color)];
    let runX = x;
    for (const run of line.runs) {
      operators.push(setFontAndSize(this.fontKey(page, run.face), size), setTextMatrix(1, 0, 0, 1, runX, y));
      operators.push(...this.showRun(run.face, run.text, size));
      runX += run.width;
    }
    operators.push(endText(), popGraphicsState());
    page.pushOperators(...operators);
  }

  /** The name a page's resources give a face's font, added on first use. */
  private fontKey(page: PDFPage, face: Face): PDFName {
    let keys = this.fontKeys.get(page);
    if (!keys) {
      keys = new Map();
      this.fontKeys.set(page, keys);
    }
    let key = keys.get(face);
    if (!key) {
      const font = this.fonts.get(face)!;
      key = page.node.newFontDictionary(font.name, font.ref);
      keys.set(face, key);
    }
    return key;
  }

  /** The operators showing one run, inside BT with its font, size and position already set. */
  private showRun(face: Face, text: string, size: number): PDFOperator[] {
    const { unitsPerEm } = fontOf(face);
    const toThousandths = 1000 / unitsPerEm;
    const operators: PDFOperator[] = [];
    let items = PDFArray.withContext(this.context);
    let pendingGlyphs = "";
    // TJ's sign: a positive number moves the pen left, in thousandths of the font size.
    let pendingShift = 0;
    let rise = 0;
    const flushGlyphs = () => {
      if (pendingGlyphs) items.push(PDFHexString.of(pendingGlyphs));
      pendingGlyphs = "";
    };
    const flushShift = () => {
      if (rounded(pendingShift) !== 0) {
        flushGlyphs();
        items.push(PDFNumber.of(rounded(pendingShift)));
      }
      pendingShift = 0;
    };
    const flushShow = () => {
      flushGlyphs();
      if (items.size() > 0) operators.push(PDFOperator.of(PDFOperatorNames.ShowTextAdjusted, [items]));
      items = PDFArray.withContext(this.context);
    };

    for (const word of this.shaper.shape(face, text)) {
      const glyphIds = this.encode(face, word.text, word.glyphs.length);
      word.glyphs.forEach((glyph, index) => {
        const glyphRise = rounded((glyph.yOffset / unitsPerEm) * size);
        if (glyphRise !== rise) {
          flushShow();
          operators.push(setTextRise(glyphRise));
          rise = glyphRise;
        }
        pendingShift -= glyph.xOffset * toThousandths;
        flushShift();
        pendingGlyphs += glyphIds.slice(index * HEX_PER_GLYPH, (index + 1) * HEX_PER_GLYPH);
        pendingShift -= (glyph.xAdvance - glyph.xOffset - glyph.nominal) * toThousandths;
      });
    }
    flushShow();
    if (rise !== 0) operators.push(setTextRise(0));
    return operators;
  }

  /** A word's subset glyph ids as hex, one group of four digits per shaped glyph. */
  private encode(face: Face, word: string, glyphCount: number): string {
    const key = `${face}:${word}`;
    let hex = this.glyphIds.get(key);
    if (hex === undefined) {
      hex = this.fonts.get(face)!.encodeText(word).asString();
      if (hex.length !== glyphCount * HEX_PER_GLYPH) throw new Error(`PDF text: the shaped word and its encoding disagree for "${word}"`);
      this.glyphIds.set(key, hex);
    }
    return hex;
  }
}

import { type Face, fontOf } from "./fonts";

/** One glyph of a shaped word, in font units: its nominal advance (the PDF's width for it) and its shaped placement. */
interface PlacedGlyph {
  nominal: number;
  xAdvance: number;
  xOffset: number;
  yOffset: number;
}

/** A word, or a stretch of spaces, as fontkit shapes it. */
export interface ShapedWord {
  text: string;
  glyphs: PlacedGlyph[];
  /** The shaped width in ems. */
  width: number;
}

const WORDS_AND_SPACES = / +|[^ ]+/g;

/**
 * Shapes runs word by word (fontkit's GSUB and GPOS: ligatures, conjuncts, kerning, mark placement) and
 * remembers each word: shaping is most of a report's CPU time and words repeat. Nothing shapes across
 * a space in these scripts, so a run is the sum of its words. One per document.
 */
export class Shaper {
  private readonly words = new Map<string, ShapedWord>();

  /** A run's words and spaces, shaped. */
  shape(face: Face, text: string): ShapedWord[] {
    return Array.from(text.matchAll(WORDS_AND_SPACES), ([word]) => this.shapeWord(face, word));
  }

  /** A run's shaped width in ems. */
  width(face: Face, text: string): number {
    return this.shape(face, text).reduce((sum, word) => sum + word.width, 0);
  }

  private shapeWord(face: Face, text: string): ShapedWord {
    const key = `${face}:${text}`;
    let word = this.words.get(key);
    if (!word) {
      const font = fontOf(face);
      const { glyphs, positions } = font.layout(text);
      const placed = glyphs.map((glyph, index) => {
        const { xAdvance, xOffset, yOffset } = positions[index]!;
        return { nominal: glyph.advanceWidth, xAdvance, xOffset, yOffset };
      });
      word = { text, glyphs: placed, width: placed.reduce((sum, glyph) => sum + glyph.xAdvance, 0) / font.unitsPerEm };
      this.words.set(key, word);
    }
    return word;
  }
}

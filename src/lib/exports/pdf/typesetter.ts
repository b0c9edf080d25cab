import type { Shaper } from "./shaping";
import { type FaceRun, textRuns } from "./text-runs";

export interface TextStyle {
  size: number;
  bold?: boolean;
}

/** A run with its width in points at the style's size. */
interface SetRun extends FaceRun {
  width: number;
}

/** One line ready to draw: its runs left to right and their total width. */
export interface SetLine {
  runs: SetRun[];
  width: number;
}

const ELLIPSIS = "…";
const graphemes = new Intl.Segmenter(undefined, { granularity: "grapheme" });
const graphemesOf = (text: string) => Array.from(graphemes.segment(text), (s) => s.segment);

/**
 * Sets clean text (see `cleanText`) in the report's fonts: measures it by its script runs with the same
 * shaping the page is drawn with, wraps it to a width and shortens it with an ellipsis. One per document.
 */
export class Typesetter {
  private readonly wordWidths = new Map<string, number>();

  constructor(private readonly shaper: Shaper) {}

  /** One line as runs with widths. */
  line(text: string, style: TextStyle): SetLine {
    const runs = textRuns(text, style.bold ?? false).map((run) => ({ ...run, width: this.shaper.width(run.face, run.text) * style.size }));
    return { runs, width: runs.reduce((sum, run) => sum + run.width, 0) };
  }

  /** The width of one line in points. */
  width(text: string, style: TextStyle): number {
    const key = `${style.bold ? "b" : "r"}${text}`;
    let ems = this.wordWidths.get(key);
    if (ems === undefined) {
      ems = textRuns(text, style.bold ?? false).reduce((sum, run) => sum + this.shaper.width(run.face, run.text), 0);
      this.wordWidths.set(key, ems);
    }
    return ems * style.size;
  }

  /**
   * Clean text broken into lines no wider than `maxWidth`: at spaces, at each "\n", and inside a word too
   * long for a line (between grapheme clusters). Runs of spaces inside a line are kept.
   */
  wrap(text: string, style: TextStyle, maxWidth: number): string[] {
    const lines: string[] = [];
    for (const paragraph of text.split("\n")) {
      let line = "";
      let lineWidth = 0;
      let gap = "";
      for (const token of paragraph.split(/( +)/)) {
        if (token === "") continue;
        if (token.startsWith(" ")) {
          gap = token;
          continue;
        }
        const width = this.width(token, style);
        const gapWidth = line ? this.width(gap, style) : 0;
        if (line && lineWidth + gapWidth + width <= maxWidth) {
          line += gap + token;
          lineWidth += gapWidth + width;
        } else {
          if (line) lines.push(line);
          const pieces = width <= maxWidth ? [token] : this.breakWord(token, style, maxWidth);
          lines.push(...pieces.slice(0, -1));
          line = pieces.at(-1)!;
          lineWidth = this.width(line, style);
        }
        gap = "";
      }
      lines.push(line);
    }
    return lines;
  }

  /** The text, or as much of it as fits in `maxWidth` followed by an ellipsis. */
  fit(text: string, style: TextStyle, maxWidth: number): string {
    if (this.width(text, style) <= maxWidth) return text;
    const clusters = graphemesOf(text);
    let [low, high] = [0, clusters.length - 1];
    while (low < high) {
      const mid = Math.ceil((low + high) / 2);
      if (this.width(clusters.slice(0, mid).join("").trimEnd() + ELLIPSIS, style) <= maxWidth) low = mid;
      else high = mid - 1;
    }
    return low === 0 ? ELLIPSIS : clusters.slice(0, low).join("").trimEnd() + ELLIPSIS;
  }

  /** A word wider than a line, cut between grapheme clusters into pieces that fit (at least one cluster each). */
  private breakWord(word: string, style: TextStyle, maxWidth: number): string[] {
    const pieces: string[][] = [[]];
    let width = 0;
    for (const cluster of graphemesOf(word)) {
      const clusterWidth = this.width(cluster, style);
      const piece = pieces.at(-1)!;
      if (piece.length > 0 && width + clusterWidth > maxWidth) {
        pieces.push([cluster]);
        width = clusterWidth;
      } else {
        piece.push(cluster);
        width += clusterWidth;
      }
    }
    return pieces.map((piece) => piece.join(""));
  }
}

import type { Color } from "pdf-lib";
import { BASELINE, BODY } from "./theme";
import type { SetLine } from "./typesetter";

/**
 * What a page shows, kept until save (when the page count is known and only the fonts in use are
 * embedded). Positions are in points from the page's top-left corner.
 */
export type DrawOp =
  | { kind: "text"; x: number; baseline: number; line: SetLine; size: number; color: Color }
  | { kind: "rect"; x: number; y: number; width: number; height: number; color: Color }
  | { kind: "line"; x1: number; y1: number; x2: number; y2: number; thickness: number; color: Color }
  | { kind: "dot"; x: number; y: number; radius: number; color: Color };

export type Align = "left" | "right" | "center";

/** The x at which a line of `width` starts when aligned in the box [left, left + boxWidth]. */
export function alignedX(left: number, boxWidth: number, width: number, align: Align = "left"): number {
  if (align === "right") return left + boxWidth - width;
  if (align === "center") return left + (boxWidth - width) / 2;
  return left;
}

/** The body's pages and a cursor moving down the last one; what does not fit moves to a new page. */
export class PageFlow {
  readonly pages: DrawOp[][] = [[]];
  /** The cursor: the top of the next block. */
  y = BODY.top;

  get remaining(): number {
    return BODY.bottom - this.y;
  }

  /** Nothing has been placed on the current page yet. */
  get atPageTop(): boolean {
    return this.y === BODY.top;
  }

  newPage(): void {
    this.pages.push([]);
    this.y = BODY.top;
  }

  /** Moves to a new page unless `height` fits below the cursor or the page is still empty. */
  ensure(height: number): void {
    if (height > this.remaining && !this.atPageTop) this.newPage();
  }

  draw(op: DrawOp): void {
    this.pages.at(-1)!.push(op);
  }

  /** A set line whose line box starts at `top`. */
  text(line: SetLine, x: number, top: number, size: number, color: Color): void {
    this.draw({ kind: "text", x, baseline: top + size * BASELINE, line, size, color });
  }
}

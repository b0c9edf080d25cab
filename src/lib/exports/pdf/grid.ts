import type { Color } from "pdf-lib";
import { type Align, alignedX, type PageFlow } from "./page-flow";
import { cleanText } from "./text-runs";
import { BODY, COLORS, TYPE, lineHeightOf } from "./theme";
import type { TextStyle, Typesetter } from "./typesetter";

/** A column placed on the page and how its cells are set. */
export interface GridColumn {
  x: number;
  width: number;
  align: Align;
  style: TextStyle;
  color: Color;
}

export interface GridOptions {
  /** A header row, repeated at the top of every page the grid continues on. */
  header?: string[];
  /** Shade every other row. */
  zebra?: boolean;
}

const PAD_X = 5;
const PAD_Y = 3.5;
/** The fewest lines of a split row on a page. */
const MIN_SPLIT_LINES = 3;

/** Each cell's text wrapped to its column: one array of lines per column. */
function wrapCells(typesetter: Typesetter, columns: GridColumn[], cells: readonly string[], style?: TextStyle): string[][] {
  return columns.map((column, index) => typesetter.wrap(cleanText(cells[index] ?? ""), style ?? column.style, column.width - 2 * PAD_X));
}

/**
 * Rows of wrapped cells under an optional header row. A row that does not fit below the cursor moves to
 * a new page, under the repeated header. Only a row taller than a whole page is split: it starts where
 * it is (given room for a few lines), fills the page and continues on the next, so no text is lost.
 */
export function drawGrid(
  flow: PageFlow,
  typesetter: Typesetter,
  columns: GridColumn[],
  rows: readonly (readonly string[])[],
  options: GridOptions = {},
) {
  const lineHeight = Math.max(...columns.map((column) => lineHeightOf(column.style)));
  const heightOf = (lineCount: number) => lineCount * lineHeight + 2 * PAD_Y;
  const left = columns[0]!.x;
  const right = columns.at(-1)!.x + columns.at(-1)!.width;

  const drawRow = (cells: string[][], from: number, to: number, style: { fill?: Color; text?: TextStyle; color?: Color; rule: Color }) => {
    const height = heightOf(to - from);
    if (style.fill) flow.draw({ kind: "rect", x: left, y: flow.y, width: right - left, height, color: style.fill });
    columns.forEach((column, index) => {
      const textStyle = style.text ?? column.style;
      cells[index]!.slice(from, to).forEach((text, line) => {
        const set = typesetter.line(text, textStyle);
        const x = alignedX(column.x + PAD_X, column.width - 2 * PAD_X, set.width, column.align);
        flow.text(set, x, flow.y + PAD_Y + line * lineHeight, textStyle.size, style.color ?? column.color);
      });
    });
    flow.y += height;
    flow.draw({ kind: "line", x1: left, y1: flow.y, x2: right, y2: flow.y, thickness: 0.5, color: style.rule });
  };

  const headerCells = options.header && wrapCells(typesetter, columns, options.header, TYPE.tableHeader);
  const headerLines = headerCells ? Math.max(...headerCells.map((lines) => lines.length)) : 0;
  const headerHeight = headerCells ? heightOf(headerLines) : 0;
  const drawHeader = () => {
    if (!headerCells) return;
    drawRow(headerCells, 0, headerLines, { fill: COLORS.headerFill, text: TYPE.tableHeader, color: COLORS.text, rule: COLORS.rule });
  };
  const pageCapacity = BODY.bottom - BODY.top - headerHeight;

  let headerPlaced = false;
  rows.forEach((row, rowIndex) => {
    const cells = wrapCells(typesetter, columns, row);
    const lineCount = Math.max(...cells.map((lines) => lines.length));
    const splits = heightOf(lineCount) > pageCapacity;
    if (!headerPlaced) {
      flow.ensure(headerHeight + heightOf(splits ? MIN_SPLIT_LINES : lineCount));
      drawHeader();
      headerPlaced = true;
    }
    const fill = options.zebra && rowIndex % 2 === 1 ? COLORS.zebraFill : undefined;
    let from = 0;
    while (from < lineCount) {
      const rest = heightOf(lineCount - from);
      const fitting = Math.floor((flow.remaining - 2 * PAD_Y) / lineHeight);
      if (rest <= flow.remaining) {
        drawRow(cells, from, lineCount, { fill, rule: COLORS.grid });
        from = lineCount;
      } else if (splits && fitting >= MIN_SPLIT_LINES) {
        drawRow(cells, from, from + fitting, { fill, rule: COLORS.grid });
        from += fitting;
      } else {
        flow.newPage();
        drawHeader();
      }
    }
  });
  if (!headerPlaced) {
    flow.ensure(headerHeight);
    drawHeader();
  }
}

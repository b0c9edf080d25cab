import { rgb } from "pdf-lib";
import type { TextStyle } from "./typesetter";

/** A4 portrait in points; positions elsewhere are measured from the page's top-left corner. */
export const PAGE = { width: 595.28, height: 841.89 };

/** The body's box: between the running header and footer, inside the side margins. */
export const BODY = { left: 50, right: PAGE.width - 50, top: 66, bottom: PAGE.height - 58 };
export const BODY_WIDTH = BODY.right - BODY.left;

/** Where the running header and footer sit (baselines and rules). */
export const CHROME = { headerBaseline: 38, headerRule: 46, footerRule: PAGE.height - 44, footerBaseline: PAGE.height - 30 };

/** Line height as a multiple of the font size: room for Devanagari marks above and below. */
const LINE_HEIGHT = 1.4;

/** The baseline's depth below a line box's top, as a multiple of the font size. */
export const BASELINE = 1.0;

export const lineHeightOf = (style: TextStyle) => style.size * LINE_HEIGHT;

export const COLORS = {
  text: rgb(0.11, 0.13, 0.17),
  muted: rgb(0.4, 0.43, 0.48),
  rule: rgb(0.8, 0.82, 0.85),
  grid: rgb(0.9, 0.91, 0.93),
  headerFill: rgb(0.92, 0.94, 0.97),
  zebraFill: rgb(0.97, 0.975, 0.98),
  accent: rgb(0.15, 0.37, 0.7),
};

export const TYPE = {
  title: { size: 18, bold: true },
  subtitle: { size: 11.5 },
  heading1: { size: 14, bold: true },
  heading2: { size: 11.5, bold: true },
  body: { size: 10 },
  label: { size: 9.5 },
  table: { size: 8.5 },
  tableHeader: { size: 8.5, bold: true },
  chartTitle: { size: 10.5, bold: true },
  axis: { size: 7.5 },
  chrome: { size: 8 },
} satisfies Record<string, TextStyle>;

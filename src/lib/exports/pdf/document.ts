import type { Color } from "pdf-lib";
import { type BarChartSpec, drawBarChart, drawLineChart, type LineChartSpec } from "./charts";
import { drawGrid, type GridColumn } from "./grid";
import { type Align, type DrawOp, PageFlow } from "./page-flow";
import { renderPdf } from "./render";
import { Shaper } from "./shaping";
import { cleanText, oneLine } from "./text-runs";
import { BODY, BODY_WIDTH, CHROME, COLORS, TYPE, lineHeightOf } from "./theme";
import { type TextStyle, Typesetter } from "./typesetter";

export type { BarChartSpec, LineChartSpec } from "./charts";

export interface ReportOptions {
  title: string;
  subtitle?: string;
  /** Shown in every page's footer and set as the file's creation date. */
  generatedAt: Date;
}

export interface ParagraphOptions {
  bold?: boolean;
  /** Font size in points (default 10). */
  size?: number;
  color?: Color;
}

interface TableColumn {
  header: string;
  /** A relative weight: columns share the body's width in proportion. */
  width: number;
  align?: Align;
}

export interface TableSpec {
  columns: TableColumn[];
  rows: readonly (readonly string[])[];
  /** Shade every other row. */
  zebra?: boolean;
}

/** Space after a block (table, key-value block, chart). */
const BLOCK_GAP = 12;
/** Room a heading keeps below itself on its page, so it does not end a page alone. */
const KEEP_WITH_NEXT = 42;

/**
 * A paginated A4 report: blocks are appended top to bottom and move to a new page when they do not fit;
 * every page gets a running header (the title) and a footer (generation time, "Page n of N") at save.
 * Text is plain text in Latin, Greek, Cyrillic or Devanagari script; a "\n" breaks the line.
 *
 *     const doc = await ReportDocument.create({ title: "Result card", generatedAt: new Date() });
 *     doc.keyValues([["Score", "42 / 50"]]);
 *     const bytes = await doc.save();
 */
export class ReportDocument {
  private readonly flow = new PageFlow();
  private readonly shaper = new Shaper();
  private readonly typesetter = new Typesetter(this.shaper);

  private constructor(private readonly options: ReportOptions) {}

  static async create(options: ReportOptions): Promise<ReportDocument> {
    if (Number.isNaN(options.generatedAt.getTime())) throw new RangeError("ReportDocument: generatedAt is not a valid date");
    const doc = new ReportDocument(options);
    doc.lines(options.title, TYPE.title, COLORS.text);
    if (options.subtitle) doc.lines(options.subtitle, TYPE.subtitle, COLORS.muted);
    doc.flow.y += 14;
    return doc;
  }

  heading(text: string, level: 1 | 2 = 1): void {
    const style = level === 1 ? TYPE.heading1 : TYPE.heading2;
    if (!this.flow.atPageTop) this.flow.y += level === 1 ? 10 : 6;
    const lines = this.typesetter.wrap(cleanText(text), style, BODY_WIDTH);
    this.flow.ensure(lines.length * lineHeightOf(style) + KEEP_WITH_NEXT);
    this.lines(text, style, COLORS.text);
    if (level === 1) {
      this.flow.draw({
        kind: "line",
        x1: BODY.left,
        y1: this.flow.y + 1,
        x2: BODY.right,
        y2: this.flow.y + 1,
        thickness: 0.75,
        color: COLORS.rule,
      });
      this.flow.y += 7;
    } else {
      this.flow.y += 3;
    }
  }

  /** Wrapped text; a word longer than a line is broken. */
  paragraph(text: string, options: ParagraphOptions = {}): void {
    const size = Number.isFinite(options.size) ? Math.min(Math.max(options.size!, 5), 36) : TYPE.body.size;
    this.lines(text, { size, bold: options.bold }, options.color ?? COLORS.text);
    this.flow.y += size * 0.6;
  }

  /** A two-column block of labels and their values. */
  keyValues(pairs: readonly (readonly [string, string])[]): void {
    if (pairs.length === 0) return;
    const widestLabel = Math.max(...pairs.map(([label]) => this.typesetter.width(oneLine(label), TYPE.label)));
    const labelWidth = Math.min(widestLabel + 22, BODY_WIDTH * 0.4);
    const columns: GridColumn[] = [
      { x: BODY.left, width: labelWidth, align: "left", style: TYPE.label, color: COLORS.muted },
      { x: BODY.left + labelWidth, width: BODY_WIDTH - labelWidth, align: "left", style: TYPE.label, color: COLORS.text },
    ];
    drawGrid(this.flow, this.typesetter, columns, pairs);
    this.flow.y += BLOCK_GAP;
  }

  /**
   * A table across the body's width. Cells wrap within their column; the table breaks between rows and
   * repeats its header row on each new page (see `drawGrid` for a row taller than a page).
   */
  table(spec: TableSpec): void {
    if (spec.columns.length === 0) return;
    const weights = spec.columns.map((column) => (Number.isFinite(column.width) && column.width > 0 ? column.width : 0));
    const total = weights.reduce((sum, weight) => sum + weight, 0);
    let x = BODY.left;
    const columns = spec.columns.map((column, index): GridColumn => {
      const width = total > 0 ? (BODY_WIDTH * weights[index]!) / total : BODY_WIDTH / spec.columns.length;
      x += width;
      return { x: x - width, width, align: column.align ?? "left", style: TYPE.table, color: COLORS.text };
    });
    drawGrid(this.flow, this.typesetter, columns, spec.rows, { header: spec.columns.map((column) => column.header), zebra: spec.zebra });
    this.flow.y += BLOCK_GAP;
  }

  /** Vertical bars on a value axis, each with its value; labels are thinned when the bars are crowded. */
  barChart(spec: BarChartSpec): void {
    drawBarChart(this.flow, this.typesetter, spec);
    this.flow.y += BLOCK_GAP;
  }

  /** Values joined by a line in order, e.g. a score over time. */
  lineChart(spec: LineChartSpec): void {
    drawLineChart(this.flow, this.typesetter, spec);
    this.flow.y += BLOCK_GAP;
  }

  /** Blank space; at the top of a page it is dropped, and space the page cannot hold ends the page. */
  spacer(points = 12): void {
    const height = Number.isFinite(points) ? Math.max(0, points) : 0;
    if (this.flow.atPageTop) return;
    if (height >= this.flow.remaining) this.flow.newPage();
    else this.flow.y += height;
  }

  pageBreak(): void {
    if (!this.flow.atPageTop) this.flow.newPage();
  }

  /** The PDF file. The document can still be appended to and saved again. */
  async save(): Promise<Uint8Array> {
    const pageCount = this.flow.pages.length;
    const pages = this.flow.pages.map((ops, index) => [...ops, ...this.pageChrome(index + 1, pageCount)]);
    return renderPdf(pages, this.shaper, {
      title: oneLine(this.options.title),
      subject: this.options.subtitle && oneLine(this.options.subtitle),
      createdAt: this.options.generatedAt,
    });
  }

  /** Wrapped lines at the cursor, each moving to a new page when it does not fit. */
  private lines(text: string, style: TextStyle, color: Color): void {
    const lineHeight = lineHeightOf(style);
    for (const line of this.typesetter.wrap(cleanText(text), style, BODY_WIDTH)) {
      this.flow.ensure(lineHeight);
      this.flow.text(this.typesetter.line(line, style), BODY.left, this.flow.y, style.size, color);
      this.flow.y += lineHeight;
    }
  }

  /** The running header (title) and footer (generation time, page number) of one page. */
  private pageChrome(pageNumber: number, pageCount: number): DrawOp[] {
    const style = TYPE.chrome;
    const { title, subtitle, generatedAt } = this.options;
    const heading = this.typesetter.fit(oneLine(subtitle ? `${title} — ${subtitle}` : title), style, BODY_WIDTH);
    const generated = this.typesetter.line(`Generated ${generatedAt.toISOString().slice(0, 16).replace("T", " ")} UTC`, style);
    const pageOf = this.typesetter.line(`Page ${pageNumber} of ${pageCount}`, style);
    return [
      {
        kind: "text",
        x: BODY.left,
        baseline: CHROME.headerBaseline,
        line: this.typesetter.line(heading, style),
        size: style.size,
        color: COLORS.muted,
      },
      { kind: "line", x1: BODY.left, y1: CHROME.headerRule, x2: BODY.right, y2: CHROME.headerRule, thickness: 0.5, color: COLORS.rule },
      { kind: "line", x1: BODY.left, y1: CHROME.footerRule, x2: BODY.right, y2: CHROME.footerRule, thickness: 0.5, color: COLORS.rule },
      { kind: "text", x: BODY.left, baseline: CHROME.footerBaseline, line: generated, size: style.size, color: COLORS.muted },
      { kind: "text", x: BODY.right - pageOf.width, baseline: CHROME.footerBaseline, line: pageOf, size: style.size, color: COLORS.muted },
    ];
  }
}

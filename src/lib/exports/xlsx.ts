import { Zip, ZipDeflate } from "fflate";
import { clock, DAY_MS } from "../clock";

/**
 * A streaming XLSX (SpreadsheetML) writer: sheets are written row by row into a ZIP that leaves in
 * chunks, so a 100,000-row export never exists whole in the Worker.
 *
 * Memory does not grow with the row count: the XML text waiting to be compressed (under FLUSH_CHARS
 * plus one row), fflate's deflate state for the open sheet (about 2.3 MiB: a 2 MiB hash table, the
 * 96 KiB window, the match chains), the compressed bytes of one flush (a few KiB), and a few dozen
 * bytes per finished sheet. Measured: about 3 MiB live whether 10,000 or 300,000 rows.
 *
 * Strings are inline (`t="inlineStr"`): a shared-strings table would have to be held until the end.
 * fflate writes no ZIP64, so the file must stay under 4 GiB: far beyond what a Worker can compress
 * within its CPU limit.
 */

export type XlsxCell = string | number | boolean | Date | null | undefined;

export interface XlsxColumn {
  header: string;
  /** Picks the number format of the column's numbers and dates; a cell's own value picks its kind. Percent values are fractions (0.5 = 50.0%). */
  type: "string" | "number" | "integer" | "percent" | "date" | "datetime" | "boolean";
  /** In characters. */
  width?: number;
}

const MAX_ROWS = 1_048_576;
const MAX_COLUMNS = 16_384;
const MAX_CELL_CHARS = 32_767;
const MAX_SHEET_NAME_CHARS = 31;
const MAX_COLUMN_WIDTH = 255;
/** Sheet XML is compressed in pieces of about this many characters. */
const FLUSH_CHARS = 64 * 1024;
/** Excel's serial 25569 is 1970-01-01; serials before 61 (1900-03-01) are skewed by Excel's fictitious 1900-02-29. */
const UNIX_EPOCH_SERIAL = 25_569;
const FIRST_EXACT_SERIAL_MS = Date.UTC(1900, 2, 1);

const MAIN_NS = "http://schemas.openxmlformats.org/spreadsheetml/2006/main";
const REL_NS = "http://schemas.openxmlformats.org/officeDocument/2006/relationships";
const PACKAGE_REL_NS = "http://schemas.openxmlformats.org/package/2006/relationships";
const XML_DECLARATION = '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n';

type CellFormat = "general" | "header" | "integer" | "percent" | "date" | "datetime";

/** styles.xml's cellXfs, in order: a cell's `s` attribute is its index here. Ids from 164 are custom number formats. */
const CELL_FORMATS: readonly { format: CellFormat; numFmtId: number; code?: string }[] = [
  { format: "general", numFmtId: 0 },
  { format: "header", numFmtId: 0 },
  { format: "integer", numFmtId: 1 },
  { format: "percent", numFmtId: 164, code: "0.0%" },
  { format: "date", numFmtId: 165, code: "yyyy-mm-dd" },
  { format: "datetime", numFmtId: 166, code: "yyyy-mm-dd hh:mm:ss" },
];

const STYLES_XML =
  XML_DECLARATION +
  `<styleSheet xmlns="${MAIN_NS}">` +
  `<numFmts count="${CELL_FORMATS.filter((f) => f.code).length}">` +
  CELL_FORMATS.map((f) => (f.code ? `<numFmt numFmtId="${f.numFmtId}" formatCode="${f.code}"/>` : "")).join("") +
  "</numFmts>" +
  '<fonts count="2"><font><sz val="11"/><name val="Calibri"/><family val="2"/></font>' +
  '<font><b/><sz val="11"/><name val="Calibri"/><family val="2"/></font></fonts>' +
  '<fills count="2"><fill><patternFill patternType="none"/></fill><fill><patternFill patternType="gray125"/></fill></fills>' +
  '<borders count="1"><border><left/><right/><top/><bottom/><diagonal/></border></borders>' +
  '<cellStyleXfs count="1"><xf numFmtId="0" fontId="0" fillId="0" borderId="0"/></cellStyleXfs>' +
  `<cellXfs count="${CELL_FORMATS.length}">` +
  CELL_FORMATS.map(
    (f) =>
      `<xf numFmtId="${f.numFmtId}" fontId="${f.format === "header" ? 1 : 0}" fillId="0" borderId="0" xfId="0"` +
      (f.format === "header" ? ' applyFont="1"' : "") +
      (f.numFmtId ? ' applyNumberFormat="1"' : "") +
      "/>",
  ).join("") +
  "</cellXfs>" +
  '<cellStyles count="1"><cellStyle name="Normal" xfId="0" builtinId="0"/></cellStyles>' +
  "</styleSheet>";

const ROOT_RELS_XML =
  XML_DECLARATION +
  `<Relationships xmlns="${PACKAGE_REL_NS}">` +
  `<Relationship Id="rId1" Type="${REL_NS}/officeDocument" Target="xl/workbook.xml"/>` +
  "</Relationships>";

/** ` s="N"`, or nothing for the default format. */
function styleAttribute(format: CellFormat): string {
  const index = CELL_FORMATS.findIndex((f) => f.format === format);
  return index === 0 ? "" : ` s="${index}"`;
}

const NUMBER_FORMAT_OF_TYPE: Partial<Record<XlsxColumn["type"], CellFormat>> = { integer: "integer", percent: "percent" };
const DEFAULT_WIDTH_OF_TYPE: Record<XlsxColumn["type"], number> = {
  string: 16,
  number: 10,
  integer: 10,
  percent: 10,
  date: 12,
  datetime: 20,
  boolean: 8,
};

// biome-ignore lint/suspicious/noControlCharactersInRegex: XML 1.0 forbids these control characters, lone surrogates and U+FFFE/U+FFFF.
const XML_FORBIDDEN = /[\u0000-\u0008\u000B\u000C\u000E-\u001F\uFFFE\uFFFF\p{Cs}]/gu;
// biome-ignore lint/suspicious/noControlCharactersInRegex: the fast path's test for any character that needs work.
const NEEDS_ESCAPING = /[&<>"\u0000-\u0008\u000B\u000C\u000E-\u001F\uFFFE\uFFFF\p{Cs}]|_x[0-9A-Fa-f]{4}_/u;
const ENTITIES: Record<string, string> = { "&": "&amp;", "<": "&lt;", ">": "&gt;", '"': "&quot;" };
/** Excel decodes `_xHHHH_` in strings as a character; a literal one keeps its text by escaping its underscore. */
const EXCEL_ESCAPE_LOOKALIKE = /_(?=x[0-9A-Fa-f]{4}_)/g;

/** Text as XML character data (or an attribute value), cut to Excel's cell limit. */
function xmlText(value: string): string {
  if (value.length <= MAX_CELL_CHARS && !NEEDS_ESCAPING.test(value)) return value;
  return truncate(value.replace(XML_FORBIDDEN, ""), MAX_CELL_CHARS)
    .replace(EXCEL_ESCAPE_LOOKALIKE, "_x005F_")
    .replace(/[&<>"]/g, (char) => ENTITIES[char]!);
}

/** At most `maxChars` UTF-16 units, without splitting a surrogate pair. */
function truncate(text: string, maxChars: number): string {
  if (text.length <= maxChars) return text;
  const cut = /[\uD800-\uDBFF]/.test(text[maxChars - 1]!) ? maxChars - 1 : maxChars;
  return text.slice(0, cut);
}

/** 0 → A, 25 → Z, 26 → AA, 27 → AB, 16383 → XFD. */
function columnLetters(index: number): string {
  let letters = "";
  for (let n = index + 1; n > 0; n = Math.floor((n - 1) / 26)) letters = String.fromCharCode(65 + ((n - 1) % 26)) + letters;
  return letters;
}

function inlineStringCell(ref: string, value: string, style: string): string {
  if (value === "") return "";
  const text = xmlText(value);
  const space = /^\s|\s$/.test(text) ? ' xml:space="preserve"' : "";
  return `<c r="${ref}"${style} t="inlineStr"><is><t${space}>${text}</t></is></c>`;
}

/** A sheet name Excel accepts: no `[]:*?/\`, no apostrophe at either end, at most 31 characters, unique ignoring case. */
function acceptableSheetName(requested: string, position: number, takenLowercase: Set<string>): string {
  const cleaned = truncate(
    requested
      .replace(XML_FORBIDDEN, "")
      .replace(/[[\]:*?/\\]/g, "-")
      .trim(),
    MAX_SHEET_NAME_CHARS,
  );
  const base = cleaned.replace(/^'+|'+$/g, "") || `Sheet${position}`;
  let name = base;
  for (let copy = 2; takenLowercase.has(name.toLowerCase()); copy++) {
    const suffix = ` (${copy})`;
    name = truncate(base, MAX_SHEET_NAME_CHARS - suffix.length) + suffix;
  }
  takenLowercase.add(name.toLowerCase());
  return name;
}

interface OpenSheet {
  name: string;
  entry: ZipDeflate;
  columnLetters: string[];
  numberStyles: string[];
  dateStyles: string[];
  rowCount: number;
}

interface FinishedSheet {
  name: string;
  lastColumn: string;
  rowCount: number;
}

export class XlsxWriter {
  private readonly zip: Zip;
  /** fflate calls back synchronously during a push; its chunks wait here until the sink is awaited. */
  private compressed: Uint8Array[] = [];
  private zipError: Error | null = null;
  private readonly encoder = new TextEncoder();
  private pendingXml = "";
  private sheet: OpenSheet | null = null;
  private readonly sheets: FinishedSheet[] = [];
  /** Reserved by Excel, and every name given so far, lowercased. */
  private readonly takenSheetNames = new Set(["history"]);
  private draining = false;
  private finished = false;

  /** `sink` receives the file's bytes in order, one awaited call at a time. */
  constructor(private readonly sink: (chunk: Uint8Array) => Promise<void>) {
    this.zip = new Zip((error, chunk) => {
      if (error) this.zipError ??= error;
      else this.compressed.push(chunk);
    });
  }

  /** Opens a sheet and writes its bold, frozen header row; resolves to the name the sheet was given. */
  async startSheet(name: string, columns: readonly XlsxColumn[]): Promise<string> {
    this.assertUsable();
    if (this.sheet) throw new Error("XlsxWriter: end the open sheet before starting another");
    if (columns.length === 0 || columns.length > MAX_COLUMNS) throw new Error(`XlsxWriter: a sheet has 1 to ${MAX_COLUMNS} columns`);
    const sheetName = acceptableSheetName(name, this.sheets.length + 1, this.takenSheetNames);
    const entry = new ZipDeflate(`xl/worksheets/sheet${this.sheets.length + 1}.xml`);
    entry.mtime = clock.now();
    this.zip.add(entry);
    const letters = columns.map((_, index) => columnLetters(index));
    this.sheet = {
      name: sheetName,
      entry,
      columnLetters: letters,
      numberStyles: columns.map((column) => styleAttribute(NUMBER_FORMAT_OF_TYPE[column.type] ?? "general")),
      dateStyles: columns.map((column) => styleAttribute(column.type === "datetime" ? "datetime" : "date")),
      rowCount: 1,
    };
    const widths = columns.map((column) =>
      Math.min(MAX_COLUMN_WIDTH, Math.max(0, column.width ?? Math.max(DEFAULT_WIDTH_OF_TYPE[column.type], column.header.length + 3))),
    );
    const headerStyle = styleAttribute("header");
    this.pendingXml =
      XML_DECLARATION +
      `<worksheet xmlns="${MAIN_NS}" xmlns:r="${REL_NS}">` +
      `<sheetViews><sheetView${this.sheets.length === 0 ? ' tabSelected="1"' : ""} workbookViewId="0">` +
      '<pane ySplit="1" topLeftCell="A2" activePane="bottomLeft" state="frozen"/>' +
      '<selection pane="bottomLeft" activeCell="A2" sqref="A2"/></sheetView></sheetViews>' +
      '<sheetFormatPr defaultRowHeight="15"/>' +
      `<cols>${widths.map((width, index) => `<col min="${index + 1}" max="${index + 1}" width="${width}" customWidth="1"/>`).join("")}</cols>` +
      '<sheetData><row r="1">' +
      columns.map((column, index) => inlineStringCell(`${letters[index]}1`, column.header, headerStyle)).join("") +
      "</row>";
    await this.flushIfFull();
    return sheetName;
  }

  /**
   * Appends a row under the header. Numbers and Dates (as Excel serial numbers) take the column's
   * format; NaN, Infinity, invalid Dates, empty strings, null and undefined are empty cells. Dates
   * before 1900-03-01, which Excel cannot hold exactly, are written as ISO text.
   */
  async addRow(values: readonly XlsxCell[]): Promise<void> {
    this.assertUsable();
    const sheet = this.sheet;
    if (!sheet) throw new Error("XlsxWriter: startSheet before addRow");
    if (values.length > sheet.columnLetters.length) {
      throw new Error(`XlsxWriter: the row has ${values.length} values for ${sheet.columnLetters.length} columns`);
    }
    if (sheet.rowCount === MAX_ROWS) throw new Error(`XlsxWriter: a sheet holds at most ${MAX_ROWS} rows, header included`);
    const rowNumber = ++sheet.rowCount;
    let xml = `<row r="${rowNumber}">`;
    for (let index = 0; index < values.length; index++) {
      const value = values[index];
      if (value == null) continue;
      const ref = sheet.columnLetters[index]! + rowNumber;
      if (typeof value === "number") {
        if (Number.isFinite(value)) xml += `<c r="${ref}"${sheet.numberStyles[index]}><v>${value}</v></c>`;
      } else if (typeof value === "boolean") {
        xml += `<c r="${ref}" t="b"><v>${value ? 1 : 0}</v></c>`;
      } else if (value instanceof Date) {
        const ms = value.getTime();
        if (ms < FIRST_EXACT_SERIAL_MS) xml += inlineStringCell(ref, value.toISOString(), "");
        else if (Number.isFinite(ms)) xml += `<c r="${ref}"${sheet.dateStyles[index]}><v>${ms / DAY_MS + UNIX_EPOCH_SERIAL}</v></c>`;
      } else {
        xml += inlineStringCell(ref, String(value), "");
      }
    }
    this.pendingXml += xml + "</row>";
    await this.flushIfFull();
  }

  async endSheet(): Promise<void> {
    this.assertUsable();
    const sheet = this.sheet;
    if (!sheet) throw new Error("XlsxWriter: no sheet is open");
    const lastColumn = sheet.columnLetters.at(-1)!;
    this.pendingXml += `</sheetData><autoFilter ref="A1:${lastColumn}${sheet.rowCount}"/></worksheet>`;
    await this.compressPending(true);
    this.sheet = null;
    this.sheets.push({ name: sheet.name, lastColumn, rowCount: sheet.rowCount });
  }

  /** Writes the workbook's remaining parts and closes the ZIP: the sink has received the whole file when this resolves. */
  async finish(): Promise<void> {
    this.assertUsable();
    if (this.sheet) throw new Error("XlsxWriter: end the open sheet before finishing");
    if (this.sheets.length === 0) throw new Error("XlsxWriter: a workbook needs at least one sheet");
    this.finished = true;
    // The parts that list the sheets come last, once the sheets are known; a ZIP's entries may be in any order.
    for (const [path, xml] of this.closingParts()) {
      const entry = new ZipDeflate(path);
      entry.mtime = clock.now();
      this.zip.add(entry);
      entry.push(this.encoder.encode(xml), true);
    }
    this.zip.end();
    await this.drain();
  }

  private closingParts(): [path: string, xml: string][] {
    const sheetNumbers = this.sheets.map((_, index) => index + 1);
    const workbook =
      XML_DECLARATION +
      `<workbook xmlns="${MAIN_NS}" xmlns:r="${REL_NS}"><sheets>` +
      this.sheets.map((sheet, index) => `<sheet name="${xmlText(sheet.name)}" sheetId="${index + 1}" r:id="rId${index + 1}"/>`).join("") +
      "</sheets><definedNames>" +
      // Excel pairs every autofilter with this hidden name and repairs a file that lacks it.
      this.sheets
        .map((sheet, index) => {
          const target = `'${sheet.name.replaceAll("'", "''")}'!$A$1:$${sheet.lastColumn}$${sheet.rowCount}`;
          return `<definedName name="_xlnm._FilterDatabase" localSheetId="${index}" hidden="1">${xmlText(target)}</definedName>`;
        })
        .join("") +
      "</definedNames></workbook>";
    const workbookRels =
      XML_DECLARATION +
      `<Relationships xmlns="${PACKAGE_REL_NS}">` +
      sheetNumbers.map((n) => `<Relationship Id="rId${n}" Type="${REL_NS}/worksheet" Target="worksheets/sheet${n}.xml"/>`).join("") +
      `<Relationship Id="rId${sheetNumbers.length + 1}" Type="${REL_NS}/styles" Target="styles.xml"/>` +
      "</Relationships>";
    const contentTypes =
      XML_DECLARATION +
      '<Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types">' +
      '<Default Extension="rels" ContentType="application/vnd.openxmlformats-package.relationships+xml"/>' +
      '<Default Extension="xml" ContentType="application/xml"/>' +
      '<Override PartName="/xl/workbook.xml" ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet.main+xml"/>' +
      '<Override PartName="/xl/styles.xml" ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.styles+xml"/>' +
      sheetNumbers
        .map(
          (n) =>
            `<Override PartName="/xl/worksheets/sheet${n}.xml" ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.worksheet+xml"/>`,
        )
        .join("") +
      "</Types>";
    return [
      ["xl/workbook.xml", workbook],
      ["xl/_rels/workbook.xml.rels", workbookRels],
      ["xl/styles.xml", STYLES_XML],
      ["_rels/.rels", ROOT_RELS_XML],
      ["[Content_Types].xml", contentTypes],
    ];
  }

  private async flushIfFull(): Promise<void> {
    if (this.pendingXml.length >= FLUSH_CHARS) await this.compressPending(false);
  }

  private async compressPending(final: boolean): Promise<void> {
    const bytes = this.encoder.encode(this.pendingXml);
    this.pendingXml = "";
    this.sheet!.entry.push(bytes, final);
    await this.drain();
  }

  /** Hands what fflate produced to the sink as one chunk. */
  private async drain(): Promise<void> {
    if (this.zipError) throw this.zipError;
    const chunks = this.compressed;
    if (chunks.length === 0) return;
    this.compressed = [];
    let chunk = chunks[0]!;
    if (chunks.length > 1) {
      chunk = new Uint8Array(chunks.reduce((total, part) => total + part.length, 0));
      let offset = 0;
      for (const part of chunks) {
        chunk.set(part, offset);
        offset += part.length;
      }
    }
    this.draining = true;
    try {
      await this.sink(chunk);
    } finally {
      this.draining = false;
    }
  }

  private assertUsable(): void {
    if (this.finished) throw new Error("XlsxWriter: the workbook is already finished");
    // Overlapping calls would hand the sink chunks out of order.
    if (this.draining) throw new Error("XlsxWriter: await each call before making the next");
  }
}

import { Buffer } from "node:buffer";
import { strFromU8, unzipSync } from "fflate";
import readXlsxFile from "read-excel-file/node";
import { describe, expect, it } from "vitest";
import { type XlsxColumn, XlsxWriter } from "../../src/lib/exports/xlsx";

/** Runs `build` against a writer whose sink keeps every chunk; returns the chunks and the whole file. */
async function writeWorkbook(build: (writer: XlsxWriter) => Promise<void>): Promise<{ file: Uint8Array; chunks: Uint8Array[] }> {
  const chunks: Uint8Array[] = [];
  const writer = new XlsxWriter(async (chunk) => {
    chunks.push(chunk);
  });
  await build(writer);
  await writer.finish();
  const file = new Uint8Array(chunks.reduce((total, chunk) => total + chunk.length, 0));
  let offset = 0;
  for (const chunk of chunks) {
    file.set(chunk, offset);
    offset += chunk.length;
  }
  return { file, chunks };
}

/**
 * Every sheet, as read-excel-file sees it: an independent reader (its own unzip and XML parser).
 * Its Node entry runs here under nodejs_compat; the universal one inflates large parts in a Web
 * Worker, which workerd does not have.
 */
function readSheets(file: Uint8Array) {
  return readXlsxFile(Buffer.from(file), { trim: false });
}

/**
 * A date-time read back: read-excel-file floors the serial's milliseconds, and the double nearest a
 * serial (what is written) can lie a hair below it, so the reader may land 1 ms early.
 */
function sameInstant(date: Date) {
  return {
    asymmetricMatch: (read: unknown) => read instanceof Date && Math.abs(read.getTime() - date.getTime()) <= 1,
    toAsymmetricMatcher: () => `a Date within 1 ms of ${date.toISOString()}`,
  };
}

function partXml(file: Uint8Array, path: string): string {
  const part = unzipSync(file)[path];
  if (!part) throw new Error(`no ${path} in the file`);
  return strFromU8(part);
}

const COLUMNS: XlsxColumn[] = [
  { header: "Student", type: "string" },
  { header: "Score", type: "number" },
  { header: "Correct", type: "integer" },
  { header: "Accuracy", type: "percent" },
  { header: "Passed", type: "boolean" },
  { header: "Exam day", type: "date" },
  { header: "Submitted at", type: "datetime" },
  { header: "Note", type: "string" },
];

describe("XlsxWriter, read back by read-excel-file", () => {
  it("writes several sheets with typed cells that come back as their types", async () => {
    const submitted = new Date(Date.UTC(2025, 2, 14, 9, 26, 53));
    const withMilliseconds = new Date(Date.UTC(2025, 11, 31, 23, 59, 59, 123));
    const { file } = await writeWorkbook(async (writer) => {
      expect(await writer.startSheet("Results", COLUMNS)).toBe("Results");
      await writer.addRow(["सुनील कुमार", 72.5, 31, 0.8125, true, new Date(Date.UTC(2025, 2, 14)), submitted, `<&>"' tags`]);
      await writer.addRow(["Ana 😀 Lúcia", -4, 0, 0, false, null, withMilliseconds, "=1+1"]);
      await writer.addRow(["Gaps", undefined, null, Number.NaN, undefined, new Date(Number.NaN), null, Number.POSITIVE_INFINITY]);
      await writer.endSheet();
      await writer.startSheet("Summary", [{ header: "Tests taken", type: "integer" }]);
      await writer.addRow([2]);
      await writer.endSheet();
    });

    const sheets = await readSheets(file);
    expect(sheets.map((sheet) => sheet.sheet)).toEqual(["Results", "Summary"]);
    const [results, summary] = sheets.map((sheet) => sheet.data);
    expect(results![0]).toEqual(COLUMNS.map((column) => column.header));
    expect(results![1]).toEqual([
      "सुनील कुमार",
      72.5,
      31,
      0.8125,
      true,
      new Date(Date.UTC(2025, 2, 14)),
      sameInstant(submitted),
      `<&>"' tags`,
    ]);
    expect(results![2]).toEqual(["Ana 😀 Lúcia", -4, 0, 0, false, null, sameInstant(withMilliseconds), "=1+1"]);
    expect(results![3]).toEqual(["Gaps", null, null, null, null, null, null, null]);
    expect(summary).toEqual([["Tests taken"], [2]]);

    // "=1+1" is an inline string, never a formula.
    const results1 = partXml(file, "xl/worksheets/sheet1.xml");
    expect(results1).not.toContain("<f>");
    expect(results1).toContain('<c r="H3" t="inlineStr"><is><t>=1+1</t></is></c>');
  });

  it("gives numbers and dates the column's format: 0, 0.0%, yyyy-mm-dd, yyyy-mm-dd hh:mm:ss", async () => {
    const { file } = await writeWorkbook(async (writer) => {
      await writer.startSheet("Formats", COLUMNS);
      await writer.addRow(["x", 1.5, 3, 0.25, true, new Date(Date.UTC(2025, 0, 2)), new Date(Date.UTC(2025, 0, 2, 12)), 7]);
      await writer.endSheet();
    });
    const sheet = partXml(file, "xl/worksheets/sheet1.xml");
    const styles = partXml(file, "xl/styles.xml");
    const formatOf = (ref: string) => {
      const style = Number(new RegExp(`<c r="${ref}"(?: s="(\\d+)")?`).exec(sheet)?.[1] ?? 0);
      const numFmtId = [...styles.matchAll(/<xf numFmtId="(\d+)"[^>]*xfId="0"/g)][style]![1]!;
      return new RegExp(`<numFmt numFmtId="${numFmtId}" formatCode="([^"]+)"/>`).exec(styles)?.[1] ?? `builtin ${numFmtId}`;
    };
    expect(["B2", "C2", "D2", "F2", "G2", "H2"].map(formatOf)).toEqual([
      "builtin 0",
      "builtin 1",
      "0.0%",
      "yyyy-mm-dd",
      "yyyy-mm-dd hh:mm:ss",
      "builtin 0",
    ]);
    // Serial numbers: 2025-01-02 is 45659, noon is half a day.
    expect(sheet).toContain('<c r="F2" s="4"><v>45659</v></c>');
    expect(sheet).toContain('<c r="G2" s="5"><v>45659.5</v></c>');
    expect(sheet).toContain('<c r="E2" t="b"><v>1</v></c>');
  });

  it("freezes and filters the bold header row and sizes the columns", async () => {
    const { file } = await writeWorkbook(async (writer) => {
      await writer.startSheet("Frozen", [
        { header: "Name", type: "string", width: 30 },
        { header: "A rather long column header", type: "number" },
      ]);
      await writer.addRow(["a", 1]);
      await writer.addRow(["b", 2]);
      await writer.endSheet();
    });
    const sheet = partXml(file, "xl/worksheets/sheet1.xml");
    expect(sheet).toContain('<pane ySplit="1" topLeftCell="A2" activePane="bottomLeft" state="frozen"/>');
    expect(sheet).toContain('<autoFilter ref="A1:B3"/>');
    expect(sheet).toContain('<col min="1" max="1" width="30" customWidth="1"/>');
    expect(sheet).toContain('<col min="2" max="2" width="30" customWidth="1"/>');
    expect(sheet).toContain('<c r="A1" s="1" t="inlineStr"><is><t>Name</t></is></c>');
    expect(partXml(file, "xl/styles.xml")).toMatch(/<cellXfs count="\d+"><xf [^>]*\/><xf numFmtId="0" fontId="1"/);
    expect(partXml(file, "xl/styles.xml")).toContain("<font><b/>");
    expect(partXml(file, "xl/workbook.xml")).toContain(
      `<definedName name="_xlnm._FilterDatabase" localSheetId="0" hidden="1">'Frozen'!$A$1:$B$3</definedName>`,
    );
  });

  it("puts columns past Z in their place (AA, AB, AZ, BA, ZZ, AAA, XFD)", async () => {
    const columns: XlsxColumn[] = Array.from({ length: 16_384 }, (_, index) => ({ header: `h${index + 1}`, type: "number" }));
    const { file } = await writeWorkbook(async (writer) => {
      await writer.startSheet("Wide", columns);
      await writer.addRow(columns.map((_, index) => index + 1));
      await writer.endSheet();
    });
    const sheet = partXml(file, "xl/worksheets/sheet1.xml");
    for (const [ref, columnNumber] of [
      ["Z2", 26],
      ["AA2", 27],
      ["AB2", 28],
      ["AZ2", 52],
      ["BA2", 53],
      ["ZZ2", 702],
      ["AAA2", 703],
      ["XFD2", 16_384],
    ] as const) {
      expect(sheet).toContain(`<c r="${ref}"><v>${columnNumber}</v></c>`);
    }
    const [wide] = await readSheets(file);
    expect(wide!.data[1]![27]).toBe(28);
    expect(wide!.data[0]![27]).toBe("h28");
    expect(wide!.data[1]!.at(-1)).toBe(16_384);
  });

  it("escapes XML, drops characters XML forbids, keeps Excel's _xHHHH_ look-alikes and edge spaces, truncates at 32,767", async () => {
    const long = "é".repeat(40_000);
    const splitPair = "a".repeat(32_766) + "😀";
    const { file } = await writeWorkbook(async (writer) => {
      await writer.startSheet("Text", [{ header: "Text", type: "string" }]);
      for (const text of [
        "tab\there, line\nbreak",
        "bell\u0007 nul\u0000 vt\u000B ff\u000C",
        "lone \uD800 high, lone \uDC00 low, pair 😀",
        "non-characters \uFFFE\uFFFF end",
        "_x0041_ stays literal",
        "  both ends  ",
        long,
        splitPair,
        "",
      ]) {
        await writer.addRow([text]);
      }
      await writer.endSheet();
    });
    const [text] = await readSheets(file);
    const read = text!.data.slice(1).map((row) => row[0]);
    expect(read.slice(0, 6)).toEqual([
      "tab\there, line\nbreak",
      "bell nul vt ff",
      "lone  high, lone  low, pair 😀",
      "non-characters  end",
      "_x0041_ stays literal",
      "  both ends  ",
    ]);
    // Compared as booleans: a failure would print 40,000 characters.
    expect(read[6] === "é".repeat(32_767)).toBe(true);
    expect(read[7] === "a".repeat(32_766)).toBe(true);
    // An empty string is an empty cell (read-excel-file drops the trailing empty row).
    expect(read).toHaveLength(8);
  });

  it("makes sheet names acceptable to Excel: no []:*?/\\, at most 31 characters, unique ignoring case, never empty", async () => {
    const requested = [
      "Q1: Physics/Chemistry [draft]?",
      "results",
      "Results",
      "RESULTS",
      "",
      "x".repeat(40),
      "x".repeat(40),
      "History",
      "'quoted'",
    ];
    const { file } = await writeWorkbook(async (writer) => {
      for (const name of requested) {
        await writer.startSheet(name, [{ header: "h", type: "string" }]);
        await writer.endSheet();
      }
    });
    const names = (await readSheets(file)).map((sheet) => sheet.sheet);
    expect(names).toEqual([
      "Q1- Physics-Chemistry -draft--",
      "results",
      "Results (2)",
      "RESULTS (3)",
      "Sheet5",
      "x".repeat(31),
      `${"x".repeat(27)} (2)`,
      "History (2)",
      "quoted",
    ]);
    expect(partXml(file, "xl/workbook.xml")).toContain(`'Q1- Physics-Chemistry -draft--'!$A$1:$A$1`);
  });

  it("writes dates Excel cannot hold exactly (before 1900-03-01) as ISO text", async () => {
    const { file } = await writeWorkbook(async (writer) => {
      await writer.startSheet("Old", [{ header: "When", type: "date" }]);
      await writer.addRow([new Date(Date.UTC(1899, 11, 31))]);
      await writer.addRow([new Date(Date.UTC(1900, 2, 1))]);
      await writer.endSheet();
    });
    const [old] = await readSheets(file);
    expect(old!.data.slice(1)).toEqual([["1899-12-31T00:00:00.000Z"], [new Date(Date.UTC(1900, 2, 1))]]);
    expect(partXml(file, "xl/worksheets/sheet1.xml")).toContain("<v>61</v>");
  });
});

describe("XlsxWriter streaming", () => {
  it("streams a 20,000-row sheet in bounded chunks and it reads back whole", async () => {
    const rows = 20_000;
    const row = (n: number) => [
      `Student ${n}`,
      n * 0.5,
      n % 90,
      (n % 100) / 100,
      n % 3 === 0,
      new Date(Date.UTC(2025, 0, 1) + n * 86_400_000),
      new Date(Date.UTC(2025, 0, 1, 8) + n * 61_000),
      `note ${n.toString(36)}`,
    ];
    const { file, chunks } = await writeWorkbook(async (writer) => {
      await writer.startSheet("Big", COLUMNS);
      for (let n = 1; n <= rows; n++) await writer.addRow(row(n));
      await writer.endSheet();
    });
    expect(chunks.length).toBeGreaterThan(10);
    expect(Math.max(...chunks.map((chunk) => chunk.length))).toBeLessThan(128 * 1024);

    const [big] = await readSheets(file);
    expect(big!.data).toHaveLength(rows + 1);
    const expected = (n: number) =>
      row(n).map((value, index) => (COLUMNS[index]!.type === "datetime" ? sameInstant(value as Date) : value));
    expect(big!.data[1]).toEqual(expected(1));
    expect(big!.data[rows]).toEqual(expected(rows));
  });
});

describe("XlsxWriter misuse", () => {
  const column: XlsxColumn[] = [{ header: "h", type: "string" }];
  const discard = async () => {};

  it("refuses calls out of order with a clear error", async () => {
    const writer = new XlsxWriter(discard);
    await expect(writer.addRow(["x"])).rejects.toThrow("startSheet before addRow");
    await expect(writer.endSheet()).rejects.toThrow("no sheet is open");
    await expect(writer.finish()).rejects.toThrow("at least one sheet");
    await expect(writer.startSheet("s", [])).rejects.toThrow("1 to 16384 columns");
    await writer.startSheet("One", column);
    await expect(writer.startSheet("Two", column)).rejects.toThrow("end the open sheet before starting another");
    await expect(writer.addRow(["x", "y"])).rejects.toThrow("2 values for 1 columns");
    await expect(writer.finish()).rejects.toThrow("end the open sheet before finishing");
    await writer.endSheet();
    await writer.finish();
    await expect(writer.startSheet("Late", column)).rejects.toThrow("already finished");
  });

  it("refuses a call made before the previous one resolved", async () => {
    let release = () => {};
    const writer = new XlsxWriter(() => new Promise<void>((resolve) => (release = resolve)));
    await writer.startSheet("Slow", column);
    // Not awaited: the third row fills the 64 Ki-character buffer, so its call waits on the sink.
    const calls = [1, 2, 3, 4].map(() => writer.addRow(["x".repeat(30_000)]));
    await expect(calls[3]).rejects.toThrow("await each call before making the next");
    release();
    await Promise.all(calls.slice(0, 3));
  });
});

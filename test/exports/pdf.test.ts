import fontkit, { type Font } from "@pdf-lib/fontkit";
import { decodePDFRawStream, PDFDict, PDFDocument, PDFName, PDFRawStream } from "pdf-lib";
import { extractText, getDocumentProxy } from "unpdf";
import { describe, expect, it } from "vitest";
import notoSansRegular from "@expo-google-fonts/noto-sans/400Regular/NotoSans_400Regular.ttf";
import { ReportDocument } from "../../src/lib/exports/pdf/document";

const GENERATED_AT = new Date("2026-12-03T14:05:00Z");

/** Each page's text, as a reader's copy and paste would give it. */
async function pageTexts(bytes: Uint8Array): Promise<string[]> {
  // unpdf takes the buffer over; hand it a copy so the caller's bytes stay readable.
  const { text } = await extractText(await getDocumentProxy(bytes.slice()), { mergePages: false });
  return text;
}

/** The BaseFont names of the fonts a PDF embeds. */
async function fontNames(bytes: Uint8Array): Promise<string[]> {
  const pdf = await PDFDocument.load(bytes);
  return pdf.context
    .enumerateIndirectObjects()
    .map(([, object]) => object)
    .filter((object): object is PDFDict => object instanceof PDFDict && object.get(PDFName.of("Type")) === PDFName.of("Font"))
    .map((font) => font.get(PDFName.of("BaseFont"))?.toString() ?? "")
    .filter((name) => name !== "");
}

function questionRows(count: number): string[][] {
  return Array.from({ length: count }, (_, i) => [
    String(i + 1),
    i % 10 === 0
      ? `A longer question, number ${i + 1}, whose text wraps onto a second and perhaps a third line in its column.`
      : `Question ${i + 1}`,
    i % 3 === 0 ? "Incorrect" : "Correct",
    i === count - 1 ? "last-row-marks 3.75" : `${i % 5} / 4`,
  ]);
}

describe("ReportDocument", () => {
  it("sets selectable Latin and Devanagari text, tables across pages, charts and page numbers", async () => {
    const doc = await ReportDocument.create({ title: "Result card", subtitle: "Mock test 7", generatedAt: GENERATED_AT });
    // Names without a pre-base vowel sign (ि) or reph: those are drawn, and so extracted, in visual
    // order (िक for कि), which is how PDF text works, not a fault of the document.
    doc.keyValues([
      ["Candidate", "सुनील कुमार"],
      ["Score", "42.5 / 50"],
    ]);
    doc.heading("Summary");
    doc.paragraph("Zoë Ångström scored 42.5, ahead of Ξενοφών and Дмитрий.");
    doc.barChart({
      title: "Score distribution",
      bars: [0, 2, 5, 9, 4, 1].map((value, i) => ({ label: `${i * 10}–${i * 10 + 10}`, value })),
      xLabel: "%",
      yLabel: "Attempts",
    });
    doc.lineChart({
      title: "Score over time",
      points: [41, 55.5, 62, 70].map((value, i) => ({ label: `2026-0${i + 1}-01`, value })),
      yMax: 100,
      yLabel: "%",
    });
    doc.heading("Questions", 2);
    doc.table({
      columns: [
        { header: "#", width: 0.6, align: "right" },
        { header: "Question text", width: 6 },
        { header: "Outcome", width: 2 },
        { header: "Marks awarded", width: 2, align: "right" },
      ],
      rows: questionRows(150),
      zebra: true,
    });
    const bytes = await doc.save();

    const pages = await pageTexts(bytes);
    const all = pages.join("\n");
    const pageCount = pages.length;
    expect(pageCount).toBeGreaterThanOrEqual(2);
    expect(pages[0]).toContain("Result card");
    expect(all).toContain("Zoë Ångström scored 42.5");
    expect(all).toContain("Ξενοφών");
    expect(all).toContain("सुनील कुमार");
    expect(pages.at(-1)).toContain("last-row-marks 3.75");
    expect(pages[0]).toContain(`Page 1 of ${pageCount}`);
    expect(pages.at(-1)).toContain(`Page ${pageCount} of ${pageCount}`);
    expect(pages.every((text) => text.includes("Result card — Mock test 7") && text.includes("Generated 2026-12-03 14:05 UTC"))).toBe(true);
    expect(pages.filter((text) => text.includes("Marks awarded")).length).toBeGreaterThan(1);
    expect(all).toContain("Score distribution");

    const pdf = await PDFDocument.load(bytes, { updateMetadata: false });
    expect(pdf.getTitle()).toBe("Result card");
    expect(pdf.getProducer()).toBe("Proctor");
    expect(pdf.getCreationDate()?.getTime()).toBe(GENERATED_AT.getTime());
    expect(pdf.getPage(0).getSize()).toEqual({ width: 595.28, height: 841.89 });
    expect((await fontNames(bytes)).some((name) => name.includes("NotoSansDevanagari"))).toBe(true);
  });

  it("embeds only the fonts a document uses", async () => {
    const doc = await ReportDocument.create({ title: "Analytics", generatedAt: GENERATED_AT });
    doc.paragraph("Latin only, in the regular weight.");
    const names = await fontNames(await doc.save());
    expect(names.some((name) => name.includes("NotoSans-Regular"))).toBe(true);
    expect(names.some((name) => name.includes("Devanagari"))).toBe(false);
  });

  it("embeds subsets whose glyphs are the source font's glyphs", async () => {
    const text = "Subset glyphs: Zoë Ångström, Дмитрий 0123456789 (quick brown fox)";
    const doc = await ReportDocument.create({ title: "Subset", generatedAt: GENERATED_AT });
    doc.paragraph(text);
    const pdf = await PDFDocument.load(await doc.save());
    const regularSubset = pdf.context
      .enumerateIndirectObjects()
      .map(([, object]) => object)
      .filter((object): object is PDFDict => object instanceof PDFDict && object.get(PDFName.of("Type")) === PDFName.of("FontDescriptor"))
      .filter((descriptor) => descriptor.get(PDFName.of("FontName"))?.toString().includes("NotoSans-Regular"))
      .map((descriptor) => pdf.context.lookup(descriptor.get(PDFName.of("FontFile2"))))
      .filter((stream) => stream instanceof PDFRawStream)
      .map((stream) => fontkit.create(decodePDFRawStream(stream).decode()))[0];
    expect(regularSubset).toBeDefined();
    const outlines = (font: Font, ids: number[]) => new Set(ids.map((id) => font.getGlyph(id).path.toSVG()));
    const source = fontkit.create(new Uint8Array(notoSansRegular));
    const expected = outlines(
      source,
      source.layout(text).glyphs.map((glyph) => glyph.id),
    );
    const embedded = outlines(
      regularSubset!,
      Array.from({ length: regularSubset!.numGlyphs }, (_, id) => id),
    );
    expect([...expected].filter((outline) => !embedded.has(outline))).toEqual([]);
  });

  it("draws a character no font has as ? and survives control characters and lone surrogates", async () => {
    const doc = await ReportDocument.create({ title: "Odd\u0000 text\u0007", generatedAt: GENERATED_AT });
    doc.paragraph("Emoji 😀 and 中文 here.");
    doc.paragraph("nul\u0000bell\u0007esc\u001bdel\u007f lone\ud800surrogate tab\there\r\nnext line");
    doc.table({ columns: [{ header: "Cell\u0000", width: 1 }], rows: [["\u0001\ud83d"]] });
    const pages = await pageTexts(await doc.save());
    const all = pages.join("\n");
    expect(all).toContain("Emoji ? and ?? here.");
    expect(all).toContain("nul bell esc del lone?surrogate tab here");
    expect(all).toContain("next line");
  });

  it("draws empty, all-zero and non-finite charts", async () => {
    const doc = await ReportDocument.create({ title: "Charts", generatedAt: GENERATED_AT });
    doc.barChart({ title: "No bars", bars: [] });
    doc.barChart({
      title: "All zero",
      bars: [
        { label: "A", value: 0 },
        { label: "B", value: 0 },
      ],
    });
    doc.barChart({
      title: "Forty bars",
      bars: Array.from({ length: 40 }, (_, i) => ({ label: `Topic number ${i + 1}`, value: i % 7 === 0 ? Number.NaN : i * 31 - 200 })),
    });
    doc.lineChart({ title: "No points", points: [] });
    doc.lineChart({ title: "One point", points: [{ label: "Today", value: Number.POSITIVE_INFINITY }], yMax: Number.NaN });
    const pages = await pageTexts(await doc.save());
    expect(pages.join("\n").match(/No data/g)).toHaveLength(2);
  });

  it("breaks long words, honours line breaks and skips empty blocks", async () => {
    const doc = await ReportDocument.create({ title: "Flow", generatedAt: GENERATED_AT });
    doc.paragraph(`${"x".repeat(400)}\nsecond line`);
    doc.keyValues([]);
    doc.table({ columns: [], rows: [["ignored"]] });
    doc.table({ columns: [{ header: "Only header", width: 1 }], rows: [] });
    doc.pageBreak();
    doc.pageBreak();
    doc.spacer(10_000);
    doc.heading("After the break", 2);
    const pages = await pageTexts(await doc.save());
    expect(pages[0]).toContain("second line");
    expect(pages[0]).toContain("Only header");
    expect(pages.at(-1)).toContain("After the break");
  });
});

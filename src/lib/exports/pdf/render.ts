import { PDFDocument, type PDFFont, type PDFPage } from "pdf-lib";
import { type Face, embedFace } from "./fonts";
import type { DrawOp } from "./page-flow";
import { ShapedTextWriter } from "./shaped-text";
import type { Shaper } from "./shaping";
import { PAGE } from "./theme";

export interface PdfMetadata {
  title: string;
  subject?: string;
  createdAt: Date;
}

/** The fonts the pages use, embedded as subsets: a face nothing is set in is not embedded at all. */
async function embedFaces(pdf: PDFDocument, pages: DrawOp[][]): Promise<Map<Face, PDFFont>> {
  const faces = new Set<Face>();
  for (const op of pages.flat()) if (op.kind === "text") for (const run of op.line.runs) faces.add(run.face);
  const fonts = new Map<Face, PDFFont>();
  for (const face of faces) fonts.set(face, await embedFace(pdf, face));
  return fonts;
}

function drawPage(page: PDFPage, ops: DrawOp[], text: ShapedTextWriter) {
  const flipY = (y: number) => PAGE.height - y;
  for (const op of ops) {
    switch (op.kind) {
      case "text":
        text.draw(page, op.line, op.x, flipY(op.baseline), op.size, op.color);
        break;
      case "rect":
        page.drawRectangle({ x: op.x, y: flipY(op.y + op.height), width: op.width, height: op.height, color: op.color });
        break;
      case "line":
        page.drawLine({
          start: { x: op.x1, y: flipY(op.y1) },
          end: { x: op.x2, y: flipY(op.y2) },
          thickness: op.thickness,
          color: op.color,
        });
        break;
      case "dot":
        page.drawCircle({ x: op.x, y: flipY(op.y), size: op.radius, color: op.color });
        break;
    }
  }
}

/** The PDF file of laid-out pages (A4), with its metadata; `shaper` is the one the pages were set with. */
export async function renderPdf(pages: DrawOp[][], shaper: Shaper, metadata: PdfMetadata): Promise<Uint8Array> {
  const pdf = await PDFDocument.create({ updateMetadata: false });
  pdf.setTitle(metadata.title, { showInWindowTitleBar: true });
  if (metadata.subject) pdf.setSubject(metadata.subject);
  pdf.setProducer("Proctor");
  pdf.setCreator("Proctor");
  pdf.setCreationDate(metadata.createdAt);
  pdf.setModificationDate(metadata.createdAt);
  const text = new ShapedTextWriter(pdf.context, await embedFaces(pdf, pages), shaper);
  for (const ops of pages) drawPage(pdf.addPage([PAGE.width, PAGE.height]), ops, text);
  return pdf.save();
}

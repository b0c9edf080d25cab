import { html } from "hono/html";
import type { HtmlEscapedString } from "hono/utils/html";
import { safeHref, withoutControls as clean } from "./format";

/**
 * What a mail body is made of. Templates describe their body as blocks of plain values; this file
 * alone writes them as HTML (every value through `hono/html`'s escaping, every link through
 * `safeHref`) and as text, so the two parts say the same thing and no template writes markup.
 */

export type Html = HtmlEscapedString | Promise<HtmlEscapedString>;

/** A run of a paragraph: plain, or set in bold. */
export type Inline = string | { strong: string };

export type Block =
  | { kind: "paragraph"; parts: Inline[] }
  | { kind: "note"; parts: Inline[] }
  | { kind: "heading"; text: string }
  | { kind: "button"; label: string; url: string }
  | { kind: "quote"; text: string }
  | { kind: "facts"; rows: [label: string, value: string][] }
  | { kind: "table"; columns: string[]; rows: string[][] }
  | { kind: "progress"; items: ProgressItem[] };

export interface ProgressItem {
  label: string;
  /** 0–100, clamped. */
  percent: number;
  detail: string;
}

export const strong = (text: string): Inline => ({ strong: text });
export const paragraph = (...parts: Inline[]): Block => ({ kind: "paragraph", parts });
/** Smaller print: expiry, "if this wasn't you". */
export const note = (...parts: Inline[]): Block => ({ kind: "note", parts });
export const heading = (text: string): Block => ({ kind: "heading", text });
/** The call to action; the link is also written out beneath it (and in the text part). */
export const button = (label: string, url: string): Block => ({ kind: "button", label, url });
export const quote = (text: string): Block => ({ kind: "quote", text });
/** Label/value rows: a receipt, the details of a sign-in. */
export const facts = (rows: [label: string, value: string][]): Block => ({ kind: "facts", rows });
/** A table with a header row; columns after the first are figures, set right-aligned. */
export const table = (columns: string[], rows: string[][]): Block => ({ kind: "table", columns, rows });
export const progress = (items: ProgressItem[]): Block => ({ kind: "progress", items });
export const greeting = (name: string): Block => paragraph(name.trim() ? `Hi ${name.trim()},` : "Hi,");

export const FONTS = "-apple-system,BlinkMacSystemFont,Segoe UI,Roboto,Helvetica,Arial,sans-serif";
export const INK = "#1f2933";
export const MUTED = "#616e7c";
export const ACCENT = "#3b5bdb";
const RULE = "#e4e7eb";

const TEXT_STYLE = `margin:0 0 16px;font-family:${FONTS};font-size:16px;line-height:24px;color:${INK}`;
const NOTE_STYLE = `margin:0 0 16px;font-family:${FONTS};font-size:14px;line-height:20px;color:${MUTED}`;
const CELL_STYLE = `padding:8px 0;border-bottom:1px solid ${RULE};font-family:${FONTS};font-size:14px;line-height:20px;vertical-align:top`;

function inlineHtml(parts: Inline[]): Html[] {
  return parts.map((part) =>
    typeof part === "string" ? html`${clean(part)}` : html`<strong style="font-weight:600">${clean(part.strong)}</strong>`,
  );
}

const inlineText = (parts: Inline[]) => parts.map((part) => clean(typeof part === "string" ? part : part.strong)).join("");

const percentOf = (value: number) => Math.min(100, Math.max(0, Math.round(Number.isFinite(value) ? value : 0)));

function progressBar(percent: number): Html {
  const filled =
    percent > 0
      ? html`<td width="${percent}%" bgcolor="${ACCENT}" style="width:${percent}%;height:8px;background-color:${ACCENT};font-size:0;line-height:0">&nbsp;</td>`
      : "";
  const empty =
    percent < 100 ? html`<td bgcolor="${RULE}" style="height:8px;background-color:${RULE};font-size:0;line-height:0">&nbsp;</td>` : "";
  return html`<table role="presentation" width="100%" cellpadding="0" cellspacing="0" border="0" style="border-collapse:collapse;margin:0 0 4px"><tr>${filled}${empty}</tr></table>`;
}

export function blockHtml(block: Block): Html {
  switch (block.kind) {
    case "paragraph":
      return html`<p style="${TEXT_STYLE}">${inlineHtml(block.parts)}</p>`;
    case "note":
      return html`<p style="${NOTE_STYLE}">${inlineHtml(block.parts)}</p>`;
    case "heading":
      return html`<h2 style="margin:24px 0 8px;font-family:${FONTS};font-size:18px;line-height:24px;font-weight:600;color:${INK}">${clean(block.text)}</h2>`;
    case "button": {
      const href = safeHref(block.url);
      return html`<table role="presentation" cellpadding="0" cellspacing="0" border="0" style="margin:8px 0 16px"><tr>
<td align="center" bgcolor="${ACCENT}" style="border-radius:6px;background-color:${ACCENT}"><a href="${href}" target="_blank" rel="noopener" style="display:inline-block;padding:12px 24px;font-family:${FONTS};font-size:16px;font-weight:600;line-height:20px;color:#ffffff;text-decoration:none;border-radius:6px">${clean(block.label)}</a></td>
</tr></table>
<p style="${NOTE_STYLE}">If the button doesn't work, copy this link into your browser:<br><a href="${href}" target="_blank" rel="noopener" style="color:${ACCENT};word-break:break-all">${clean(block.url)}</a></p>`;
    }
    case "quote":
      return html`<p style="margin:0 0 16px;padding:12px 16px;border-left:4px solid ${RULE};background-color:#f5f7fa;font-family:${FONTS};font-size:15px;line-height:22px;color:${INK}">${clean(block.text)}</p>`;
    case "facts":
      return html`<table role="presentation" width="100%" cellpadding="0" cellspacing="0" border="0" style="border-collapse:collapse;margin:0 0 16px">${block.rows.map(
        ([label, value]) =>
          html`<tr><td style="${CELL_STYLE};padding-right:16px;color:${MUTED};white-space:nowrap">${clean(label)}</td><td style="${CELL_STYLE};color:${INK};word-break:break-word">${clean(value)}</td></tr>`,
      )}</table>`;
    case "table": {
      const align = (index: number) => (index === 0 ? "left" : "right");
      const head = block.columns.map(
        (column, index) =>
          html`<th align="${align(index)}" style="${CELL_STYLE};padding-right:8px;color:${MUTED};font-weight:600">${clean(column)}</th>`,
      );
      const body = block.rows.map(
        (row) =>
          html`<tr>${row.map((cell, index) => html`<td align="${align(index)}" style="${CELL_STYLE};padding-right:8px;color:${INK};word-break:break-word">${clean(cell)}</td>`)}</tr>`,
      );
      return html`<table role="presentation" width="100%" cellpadding="0" cellspacing="0" border="0" style="border-collapse:collapse;margin:0 0 16px"><tr>${head}</tr>${body}</table>`;
    }
    case "progress":
      return html`${block.items.map(
        (item) =>
          html`<p style="margin:0 0 4px;font-family:${FONTS};font-size:15px;line-height:22px;font-weight:600;color:${INK}">${clean(item.label)}</p>${progressBar(percentOf(item.percent))}<p style="${NOTE_STYLE}">${clean(item.detail)}</p>`,
      )}`;
  }
}

export function blockText(block: Block): string {
  switch (block.kind) {
    case "paragraph":
    case "note":
      return inlineText(block.parts);
    case "heading":
      return `${clean(block.text)}\n${"-".repeat(Math.min(clean(block.text).length, 60))}`;
    case "button":
      return `${clean(block.label)}:\n${clean(block.url)}`;
    case "quote":
      return clean(block.text)
        .split("\n")
        .map((line) => `> ${line}`)
        .join("\n");
    case "facts":
      return block.rows.map(([label, value]) => `${clean(label)}: ${clean(value)}`).join("\n");
    case "table":
      return block.rows.map(([first = "", ...rest]) => `- ${clean(first)}: ${rest.map(clean).join(", ")}`).join("\n");
    case "progress":
      return block.items.map((item) => `- ${clean(item.label)}: ${clean(item.detail)}`).join("\n");
  }
}

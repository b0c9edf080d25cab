import { html, raw } from "hono/html";
import { ACCENT, blockHtml, blockText, FONTS, INK, MUTED, type Block } from "./blocks";
import { safeHref, withoutControls } from "./format";
import type { RenderContext, RenderedEmail } from "./template";

/** What a template says; the layout frames it the same way in both parts. */
export interface EmailContent {
  /** Built with `subjectLine`. */
  subject: string;
  /** The line an inbox shows after the subject; not part of the visible body. */
  preheader: string;
  heading: string;
  blocks: Block[];
  /** Footer: why the recipient got this mail. */
  reason: string;
}

const BACKGROUND = "#f4f5f7";

/** Keeps the inbox preview to the preheader: without it, clients fill the preview with the body's first words. */
const PREHEADER_FILLER = raw("&#847;&zwnj;&nbsp;".repeat(60));

/**
 * Email-client HTML: a single centred column of at most 600px built from tables, inline styles only,
 * no images, no scripts, nothing loaded from elsewhere.
 */
function htmlDocument(content: EmailContent, ctx: RenderContext) {
  const appHref = safeHref(ctx.appUrl);
  const unsubscribe = ctx.unsubscribeUrl
    ? html`<p style="margin:0 0 8px">Don't want these emails? <a href="${safeHref(ctx.unsubscribeUrl)}" target="_blank" rel="noopener" style="color:${MUTED};text-decoration:underline">Unsubscribe</a>.</p>
`
    : "";
  return html`<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<meta name="x-apple-disable-message-reformatting">
<meta name="color-scheme" content="light">
<meta name="supported-color-schemes" content="light">
<title>${withoutControls(content.subject)}</title>
</head>
<body style="margin:0;padding:0;width:100%;background-color:${BACKGROUND}">
<div style="display:none;font-size:1px;line-height:1px;max-height:0;max-width:0;opacity:0;overflow:hidden;mso-hide:all">${withoutControls(content.preheader)}${PREHEADER_FILLER}</div>
<table role="presentation" width="100%" cellpadding="0" cellspacing="0" border="0" bgcolor="${BACKGROUND}" style="background-color:${BACKGROUND}">
<tr><td align="center" style="padding:32px 12px">
<table role="presentation" width="600" cellpadding="0" cellspacing="0" border="0" style="width:100%;max-width:600px">
<tr><td style="padding:0 8px 16px;font-family:${FONTS};font-size:20px;line-height:28px;font-weight:700"><a href="${appHref}" target="_blank" rel="noopener" style="color:${INK};text-decoration:none">${withoutControls(ctx.appName)}</a></td></tr>
<tr><td bgcolor="#ffffff" style="padding:32px;background-color:#ffffff;border:1px solid #e4e7eb;border-radius:8px">
<h1 style="margin:0 0 24px;font-family:${FONTS};font-size:24px;line-height:32px;font-weight:700;color:${INK}">${withoutControls(content.heading)}</h1>
${content.blocks.map((block) => html`${blockHtml(block)}\n`)}<p style="margin:24px 0 0;font-family:${FONTS};font-size:16px;line-height:24px;color:${INK}">The ${withoutControls(ctx.appName)} team</p>
</td></tr>
<tr><td style="padding:24px 8px;font-family:${FONTS};font-size:13px;line-height:20px;color:${MUTED}">
<p style="margin:0 0 8px">${withoutControls(content.reason)}</p>
${unsubscribe}<p style="margin:0">${withoutControls(ctx.appName)} · <a href="${appHref}" target="_blank" rel="noopener" style="color:${ACCENT}">${withoutControls(ctx.appUrl)}</a></p>
</td></tr>
</table>
</td></tr>
</table>
</body>
</html>`;
}

/** The text part: the same content, links written out, the footer after a signature separator. */
function textDocument(content: EmailContent, ctx: RenderContext): string {
  const heading = withoutControls(content.heading);
  const footer = [
    withoutControls(content.reason),
    ctx.unsubscribeUrl ? `Unsubscribe: ${withoutControls(ctx.unsubscribeUrl)}` : null,
    `${withoutControls(ctx.appName)}: ${withoutControls(ctx.appUrl)}`,
  ];
  return [
    heading,
    "=".repeat(Math.min(heading.length, 60)),
    "",
    content.blocks.map(blockText).join("\n\n"),
    "",
    `The ${withoutControls(ctx.appName)} team`,
    "",
    "-- ",
    ...footer.filter((line) => line !== null),
    "",
  ].join("\n");
}

export async function renderLayout(content: EmailContent, ctx: RenderContext): Promise<RenderedEmail> {
  return { subject: content.subject, html: (await htmlDocument(content, ctx)).toString(), text: textDocument(content, ctx) };
}

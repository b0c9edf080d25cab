import { html } from "hono/html";
import type { HtmlEscapedString } from "hono/utils/html";

/**
 * The few HTML pages email needs (the unsubscribe page, the development mailbox): no script at all,
 * inline styles only, forms posting back to this origin. Framed mail bodies are sandboxed (no scripts,
 * no same-origin) and inherit this policy.
 */
export const EMAIL_PAGE_CSP =
  "default-src 'none'; style-src 'unsafe-inline'; img-src data:; frame-src 'self'; form-action 'self'; frame-ancestors 'none'; base-uri 'none'";

type Fragment = HtmlEscapedString | Promise<HtmlEscapedString> | string;

export function emailPage(title: string, body: Fragment) {
  return html`<!doctype html>
<html lang="en">
  <head>
    <meta charset="utf-8" />
    <meta name="viewport" content="width=device-width, initial-scale=1" />
    <meta name="robots" content="noindex" />
    <title>${title}</title>
    <style>
      body { font: 15px/1.5 system-ui, sans-serif; margin: 0; background: #f4f5f7; color: #1f2933; }
      main { max-width: 960px; margin: 0 auto; padding: 24px; }
      table { border-collapse: collapse; width: 100%; background: #fff; }
      th, td { text-align: left; padding: 6px 10px; border-bottom: 1px solid #e4e7eb; vertical-align: top; }
      .card { background: #fff; border-radius: 8px; padding: 24px; }
      button { font: inherit; padding: 8px 16px; border-radius: 6px; border: 0; background: #3b5bdb; color: #fff; cursor: pointer; }
      iframe { width: 100%; height: 640px; border: 1px solid #e4e7eb; background: #fff; }
      pre { white-space: pre-wrap; background: #fff; padding: 12px; border: 1px solid #e4e7eb; }
      .muted { color: #616e7c; }
    </style>
  </head>
  <body>
    <main>${body}</main>
  </body>
</html>`;
}

/**
 * Escaping and allow-list sanitising of user text that is later rendered as HTML (question bodies,
 * explanations, comments).
 *
 * Workers have no DOM, so `sanitizeRichText` tokenises the input itself and rebuilds it from
 * scratch: only allow-listed tags and attributes are written back, every attribute value is
 * re-quoted and escaped, and every text run is escaped. Whatever the tokenizer misreads therefore
 * comes out as inert text, never as markup, which is what makes the approach safe without a full
 * HTML5 parser.
 */

const ESCAPES: Record<string, string> = {
  "&": "&amp;",
  "<": "&lt;",
  ">": "&gt;",
  '"': "&quot;",
  "'": "&#39;",
};

/** Escapes text for any HTML context (element content or a quoted attribute value). */
export function escapeHtml(value: string): string {
  return value.replace(/[&<>"']/g, (ch) => ESCAPES[ch]!);
}

type AttributeRule = "text" | "href" | "imageSrc" | "number";

/** Allowed tags and, per tag, the attributes they may keep and how each value is checked. */
const ALLOWED_TAGS: Record<string, Record<string, AttributeRule>> = {
  p: {},
  br: {},
  hr: {},
  div: {},
  span: {},
  b: {},
  strong: {},
  i: {},
  em: {},
  u: {},
  s: {},
  sub: {},
  sup: {},
  small: {},
  mark: {},
  ul: {},
  ol: { start: "number" },
  li: {},
  code: {},
  pre: {},
  kbd: {},
  blockquote: {},
  h1: {},
  h2: {},
  h3: {},
  h4: {},
  h5: {},
  h6: {},
  table: {},
  thead: {},
  tbody: {},
  tfoot: {},
  tr: {},
  th: { colspan: "number", rowspan: "number" },
  td: { colspan: "number", rowspan: "number" },
  caption: {},
  a: { href: "href", title: "text" },
  img: { src: "imageSrc", alt: "text", title: "text", width: "number", height: "number" },
};

const VOID_TAGS = new Set([
  "br",
  "hr",
  "img",
  "embed",
  "link",
  "meta",
  "base",
  "frame",
  "input",
  "source",
  "track",
  "wbr",
  "param",
  "area",
  "col",
  "keygen",
]);

/** Elements whose content the browser reads as raw text up to the matching end tag. */
const RAW_TEXT_TAGS = new Set(["script", "style", "iframe", "noembed", "noframes", "noscript", "textarea", "title", "xmp"]);

/** Elements dropped together with everything inside them. */
const DROP_WITH_CONTENT = new Set(["object", "svg", "math", "template", "applet", "frameset", "head", "select"]);

/** Deepest nesting of allowed elements kept in the output. */
const MAX_DEPTH = 100;

const HREF_SCHEMES = new Set(["http", "https", "mailto"]);
const IMAGE_SCHEMES = new Set(["https"]);

/** Named entities an attacker uses to hide URL syntax; anything else stays literal (and so inert). */
const NAMED_ENTITIES: Record<string, string> = {
  amp: "&",
  lt: "<",
  gt: ">",
  quot: '"',
  apos: "'",
  nbsp: "\u00a0",
  colon: ":",
  tab: "\t",
  newline: "\n",
  lpar: "(",
  rpar: ")",
  sol: "/",
  bsol: "\\",
  period: ".",
  comma: ",",
  semi: ";",
  excl: "!",
  num: "#",
  percnt: "%",
  equals: "=",
  quest: "?",
  commat: "@",
  plus: "+",
  grave: "`",
};

/** Decodes character references the way a browser does in an attribute value (semicolon optional). */
export function decodeEntities(value: string): string {
  return value.replace(/&(#[xX][0-9a-fA-F]+|#[0-9]+|[a-zA-Z][a-zA-Z0-9]*);?/g, (match, body: string) => {
    if (body.startsWith("#")) {
      const hex = body[1] === "x" || body[1] === "X";
      const code = Number.parseInt(body.slice(hex ? 2 : 1), hex ? 16 : 10);
      if (!Number.isFinite(code) || code <= 0 || code > 0x10ffff || (code >= 0xd800 && code <= 0xdfff)) return "\ufffd";
      return String.fromCodePoint(code);
    }
    const named = NAMED_ENTITIES[body.toLowerCase()];
    return named ?? match;
  });
}

/**
 * True when the URL, read as a browser would (entities decoded, tabs/newlines/control characters and
 * spaces ignored), has no scheme or one of the allowed schemes. Relative URLs are accepted only for
 * links; images must name an https URL.
 */
function isSafeUrl(decoded: string, schemes: Set<string>, allowRelative: boolean): boolean {
  const compact = decoded.replace(/[\u0000-\u0020\u007f-\u009f\u00a0\u1680\u2000-\u200f\u2028\u2029\u202f\u205f\u3000\ufeff]/g, "");
  const scheme = /^([a-zA-Z][a-zA-Z0-9+.-]*):/.exec(compact);
  if (scheme) return schemes.has(scheme[1]!.toLowerCase());
  // No scheme: anything with a colon before the path starts is something a browser might still read as one.
  if (/^[^/?#]*:/.test(compact)) return false;
  return allowRelative && compact.length > 0;
}

function cleanAttribute(rule: AttributeRule, raw: string): string | null {
  const decoded = decodeEntities(raw);
  switch (rule) {
    case "text":
      return decoded.slice(0, 1000);
    case "number":
      return /^\s*\d{1,5}\s*$/.test(decoded) ? decoded.trim() : null;
    case "href":
      return isSafeUrl(decoded, HREF_SCHEMES, true) ? decoded.trim() : null;
    case "imageSrc":
      return isSafeUrl(decoded, IMAGE_SCHEMES, false) ? decoded.trim() : null;
  }
}

interface Attribute {
  name: string;
  value: string;
}

type Token =
  | { kind: "text"; text: string }
  | { kind: "start"; name: string; attributes: Attribute[]; selfClosing: boolean }
  | { kind: "end"; name: string };

const isWhitespace = (ch: string | undefined) => ch === " " || ch === "\t" || ch === "\n" || ch === "\r" || ch === "\f";
const isAsciiLetter = (ch: string | undefined) => ch !== undefined && ((ch >= "a" && ch <= "z") || (ch >= "A" && ch <= "Z"));

/**
 * A linear-time scanner over the HTML tokenizer states that matter for sanitising: text, tags with
 * attributes (quoted, unquoted, valueless), comments and bogus comments (dropped), and raw-text
 * elements (skipped to their end tag). An unterminated tag or comment drops the rest of the input,
 * as a browser would.
 */
class Tokenizer {
  private pos = 0;
  private readonly lower: string;
  constructor(private readonly input: string) {
    // ASCII-only lowering keeps every index aligned with the input (full Unicode lowering can change lengths).
    this.lower = input.replace(/[A-Z]/g, (ch) => String.fromCharCode(ch.charCodeAt(0) + 32));
  }

  next(): Token | null {
    const { input } = this;
    // A loop, not recursion: thousands of consecutive comments must not exhaust the stack.
    while (this.pos < input.length) {
      const lt = input.indexOf("<", this.pos);
      if (lt !== this.pos) {
        const end = lt === -1 ? input.length : lt;
        const text = input.slice(this.pos, end);
        this.pos = end;
        return { kind: "text", text };
      }
      const after = input[lt + 1];
      if (isAsciiLetter(after)) return this.startTag(lt + 1);
      if (after === "/") {
        if (isAsciiLetter(input[lt + 2])) return this.endTag(lt + 2);
        this.skipBogusComment(lt + 2);
      } else if (after === "!") {
        if (input.startsWith("--", lt + 2)) this.skipComment(lt + 4);
        else this.skipBogusComment(lt + 2);
      } else if (after === "?") {
        this.skipBogusComment(lt + 1);
      } else {
        this.pos = lt + 1;
        return { kind: "text", text: "<" };
      }
    }
    return null;
  }

  /** Moves past the matching `</name` end tag of a raw-text element, or to the end of the input. */
  skipRawText(name: string): void {
    const { lower } = this;
    let from = this.pos;
    for (;;) {
      const at = lower.indexOf(`</${name}`, from);
      if (at === -1) {
        this.pos = this.input.length;
        return;
      }
      const ch = this.input[at + 2 + name.length];
      if (ch === undefined || ch === ">" || ch === "/" || isWhitespace(ch)) {
        const close = this.input.indexOf(">", at);
        this.pos = close === -1 ? this.input.length : close + 1;
        return;
      }
      from = at + 2;
    }
  }

  private readName(from: number): [string, number] {
    let i = from;
    while (i < this.input.length && !isWhitespace(this.input[i]) && this.input[i] !== "/" && this.input[i] !== ">") i++;
    return [this.input.slice(from, i).toLowerCase(), i];
  }

  private startTag(from: number): Token | null {
    const { input } = this;
    const [name, afterName] = this.readName(from);
    const attributes: Attribute[] = [];
    const seen = new Set<string>();
    let i = afterName;
    for (;;) {
      while (i < input.length && (isWhitespace(input[i]) || input[i] === "/")) i++;
      if (i >= input.length) {
        this.pos = input.length;
        return null;
      }
      if (input[i] === ">") {
        this.pos = i + 1;
        return { kind: "start", name, attributes, selfClosing: input[i - 1] === "/" };
      }
      // Attribute name: up to whitespace, '/', '>' or '=' (a leading '=' belongs to the name, per spec).
      const nameStart = i;
      i++;
      while (i < input.length && !isWhitespace(input[i]) && input[i] !== "/" && input[i] !== ">" && input[i] !== "=") i++;
      const attrName = input.slice(nameStart, i).toLowerCase();
      let j = i;
      while (j < input.length && isWhitespace(input[j])) j++;
      let value = "";
      if (input[j] === "=") {
        j++;
        while (j < input.length && isWhitespace(input[j])) j++;
        const quote = input[j];
        if (quote === '"' || quote === "'") {
          const close = input.indexOf(quote, j + 1);
          if (close === -1) {
            this.pos = input.length;
            return null;
          }
          value = input.slice(j + 1, close);
          i = close + 1;
        } else {
          const valueStart = j;
          while (j < input.length && !isWhitespace(input[j]) && input[j] !== ">") j++;
          value = input.slice(valueStart, j);
          i = j;
        }
      }
      // The first of duplicate attributes wins, as in browsers.
      if (!seen.has(attrName)) {
        seen.add(attrName);
        attributes.push({ name: attrName, value });
      }
    }
  }

  private endTag(from: number): Token | null {
    const [name, afterName] = this.readName(from);
    const close = this.input.indexOf(">", afterName);
    if (close === -1) {
      this.pos = this.input.length;
      return null;
    }
    this.pos = close + 1;
    return { kind: "end", name };
  }

  private skipComment(from: number): void {
    const { input } = this;
    // `<!-->` and `<!--->` close at once; otherwise `-->` or `--!>` ends the comment.
    if (input[from] === ">") {
      this.pos = from + 1;
      return;
    }
    if (input.startsWith("->", from)) {
      this.pos = from + 2;
      return;
    }
    let i = from;
    for (;;) {
      const dash = input.indexOf("--", i);
      if (dash === -1) {
        this.pos = input.length;
        return;
      }
      if (input[dash + 2] === ">") {
        this.pos = dash + 3;
        return;
      }
      if (input.startsWith("!>", dash + 2)) {
        this.pos = dash + 4;
        return;
      }
      i = dash + 1;
    }
  }

  private skipBogusComment(from: number): void {
    const close = this.input.indexOf(">", from);
    this.pos = close === -1 ? this.input.length : close + 1;
  }
}

/** Escapes text content, keeping well-formed character references (they cannot form markup). */
function escapeText(text: string): string {
  return text
    .replace(/\u0000/g, "")
    .replace(/&(?!(?:#[0-9]{1,7}|#[xX][0-9a-fA-F]{1,6}|[a-zA-Z][a-zA-Z0-9]{1,31});)/g, "&amp;")
    .replace(/</g, "&lt;")
    .replace(/>/g, "&gt;");
}

function renderStartTag(name: string, attributes: Attribute[]): string {
  const rules = ALLOWED_TAGS[name]!;
  let out = `<${name}`;
  for (const attribute of attributes) {
    const rule = rules[attribute.name];
    if (!rule) continue;
    const value = cleanAttribute(rule, attribute.value.replace(/\u0000/g, ""));
    if (value === null) continue;
    out += ` ${attribute.name}="${escapeHtml(value)}"`;
  }
  if (name === "a") out += ' rel="noopener noreferrer nofollow"';
  return `${out}>`;
}

/**
 * Returns a safe HTML fragment: allow-listed formatting tags (p, br, b, strong, i, em, u, sub, sup,
 * lists, code, pre, blockquote, span, tables, headings), links to http/https/mailto or relative URLs,
 * and images from https URLs. Scripts, styles, frames, plugins, SVG and MathML are dropped with their
 * content; every event handler, style attribute and dangerous URL (including entity- and
 * whitespace-obfuscated `javascript:`, `data:` and `vbscript:`) is removed; unknown tags are
 * unwrapped to their text; tags left open are closed so the fragment cannot break its page.
 */
export function sanitizeRichText(html: string): string {
  const tokenizer = new Tokenizer(html);
  const open: string[] = [];
  // How many of each tag are open, so a stray end tag is refused in O(1) instead of a stack scan.
  const openCount = new Map<string, number>();
  const close = () => {
    const name = open.pop()!;
    openCount.set(name, openCount.get(name)! - 1);
    return `</${name}>`;
  };
  let out = "";
  let dropping: { name: string; depth: number } | null = null;

  for (let token = tokenizer.next(); token; token = tokenizer.next()) {
    if (dropping) {
      if (token.kind === "start" && token.name === dropping.name) dropping.depth++;
      else if (token.kind === "start" && RAW_TEXT_TAGS.has(token.name)) tokenizer.skipRawText(token.name);
      else if (token.kind === "end" && token.name === dropping.name && --dropping.depth === 0) dropping = null;
      continue;
    }
    if (token.kind === "text") {
      out += escapeText(token.text);
      continue;
    }
    if (token.kind === "start") {
      if (token.name === "plaintext") break;
      if (RAW_TEXT_TAGS.has(token.name)) {
        tokenizer.skipRawText(token.name);
        continue;
      }
      if (DROP_WITH_CONTENT.has(token.name)) {
        // `<svg/>` and `<math/>` close themselves (foreign content); the others open an element.
        if (!(token.selfClosing && (token.name === "svg" || token.name === "math"))) dropping = { name: token.name, depth: 1 };
        continue;
      }
      if (!ALLOWED_TAGS[token.name]) continue;
      // Past this depth, further elements are unwrapped: no renderer needs it and deep trees are a DoS.
      if (!VOID_TAGS.has(token.name) && open.length >= MAX_DEPTH) continue;
      const rendered = renderStartTag(token.name, token.attributes);
      // An image whose source was refused is dropped rather than left as an empty box.
      if (token.name === "img" && !rendered.includes(" src=")) continue;
      out += rendered;
      if (!VOID_TAGS.has(token.name)) {
        open.push(token.name);
        openCount.set(token.name, (openCount.get(token.name) ?? 0) + 1);
      }
      continue;
    }
    // End tag: honoured only if the element is open; anything opened inside it is closed first.
    if (!openCount.get(token.name)) continue;
    const at = open.lastIndexOf(token.name);
    while (open.length > at) out += close();
  }
  while (open.length > 0) out += close();
  return out;
}

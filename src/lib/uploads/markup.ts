import { containsAscii, LOWER } from "./byte-search";

/**
 * Markup a browser acts on, found in bytes that are meant to be an image or a PDF: what turns a file
 * into an HTML polyglot (content sniffing, a misconfigured server, a download opened locally).
 */

/**
 * Markers looked for across a whole file, compressed pixel data included. Each is long enough (five
 * bytes or more) that random compressed bytes practically never spell it: a 10 MB file of random
 * bytes holds one by chance far less than once in a thousand files.
 */
const POLYGLOT_MARKERS = [
  "<script",
  "<html",
  "<?php",
  "<iframe",
  "<body",
  "<object",
  "<embed",
  "<applet",
  "<frame",
  "<meta",
  "<form",
  "<link",
  "<base",
  "<style",
  "<input",
  "<button",
  "<video",
  "<audio",
  "<source",
  "<math",
  "<details",
  "<marquee",
  "<template",
  "<svg ",
  "<svg>",
  "<svg\n",
  "<svg/",
  "<img ",
  "<img/",
  "<img\n",
  "<img\t",
  "<a href",
  "<a\nhref",
  "<a\thref",
  "<a/href",
  "javascript:",
];

export function containsPolyglotMarker(bytes: Uint8Array): boolean {
  return containsAscii(bytes, POLYGLOT_MARKERS);
}

/** Every HTML element name, current and obsolete, that an HTML parser turns into an element. */
const HTML_ELEMENTS = new Set(
  `a abbr acronym address applet area article aside audio b base basefont bdi bdo bgsound big blink blockquote body br
  button canvas caption center cite code col colgroup data datalist dd del details dfn dialog dir div dl dt em embed
  fieldset figcaption figure font footer form frame frameset h1 h2 h3 h4 h5 h6 head header hgroup hr html i iframe image
  img input ins isindex kbd keygen label legend li link listing main map mark marquee math menu menuitem meta meter
  multicol nav nextid nobr noembed noframes noscript object ol optgroup option output p param picture plaintext portal
  pre progress q rb rp rt rtc ruby s samp script search section select slot small source spacer span strike strong style
  sub summary sup svg table tbody td template textarea tfoot th thead time title tr track tt u ul var video wbr xmp`.split(/\s+/),
);
const LONGEST_ELEMENT = Math.max(...[...HTML_ELEMENTS].map((name) => name.length));

/**
 * Markup is text: an element is looked for only inside a run of at least this many printable ASCII
 * characters. Random binary data (an EXIF thumbnail, a palette, an appended video) almost never holds
 * such a run, while any payload that does something (`<img src=x onerror=…>`) is one.
 */
const MIN_TEXT_RUN = 16;

const TEXT = Uint8Array.from({ length: 256 }, (_, byte) =>
  byte === 0x09 || byte === 0x0a || byte === 0x0c || byte === 0x0d || (byte >= 0x20 && byte < 0x7f) ? 1 : 0,
);
const NAME = Uint8Array.from({ length: 256 }, (_, byte) =>
  (byte >= 0x30 && byte <= 0x39) || (LOWER[byte]! >= 0x61 && LOWER[byte]! <= 0x7a) ? 1 : 0,
);
const AFTER_NAME = new Set([0x09, 0x0a, 0x0c, 0x0d, 0x20, 0x2f, 0x3e]); // whitespace, "/", ">"

/** Whether a start tag of any HTML element (`<a `, `<img/`, `<b>`) occurs in a text run of `bytes[from, to)`. */
export function containsHtmlElement(bytes: Uint8Array, from = 0, to = bytes.byteLength): boolean {
  const end = Math.min(to, bytes.byteLength);
  let runStart = from;
  for (let i = from; i <= end; i++) {
    if (i < end && TEXT[bytes[i]!] === 1) continue;
    if (i - runStart >= MIN_TEXT_RUN && runHasElement(bytes, runStart, i)) return true;
    runStart = i + 1;
  }
  return false;
}

function runHasElement(bytes: Uint8Array, from: number, to: number): boolean {
  for (let i = from; i < to - 1; i++) {
    if (bytes[i] !== 0x3c) continue;
    let j = i + 1;
    while (j < to && j - i - 1 <= LONGEST_ELEMENT && NAME[bytes[j]!] === 1) j++;
    if (j === i + 1 || j >= to || !AFTER_NAME.has(bytes[j]!)) continue;
    let name = "";
    for (let k = i + 1; k < j; k++) name += String.fromCharCode(LOWER[bytes[k]!]!);
    if (HTML_ELEMENTS.has(name)) return true;
  }
  return false;
}

/**
 * Real sample files built in memory for upload tests: genuine headers and structures, so the
 * server's sniffing and inspection see what a real client would send.
 */

const fromBase64 = (b64: string) => Uint8Array.from(atob(b64), (ch) => ch.charCodeAt(0));
const ascii = (text: string) => new TextEncoder().encode(text);

export function concat(...parts: (Uint8Array | string)[]): Uint8Array {
  const arrays = parts.map((part) => (typeof part === "string" ? ascii(part) : part));
  const out = new Uint8Array(arrays.reduce((n, a) => n + a.byteLength, 0));
  let at = 0;
  for (const a of arrays) {
    out.set(a, at);
    at += a.byteLength;
  }
  return out;
}

/** A valid 1×1 PNG (signature, IHDR, IDAT, IEND). */
export const png = () => fromBase64("iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mNkYPhfDwAChwGA60e6kgAAAABJRU5ErkJggg==");

/** A valid 1×1 GIF89a. */
export const gif = () => fromBase64("R0lGODlhAQABAIAAAAAAAP///yH5BAEAAAAALAAAAAABAAEAAAIBRAA7");

/** A baseline JPEG header (SOI, APP0/JFIF, a comment) closed with EOI. */
export const jpeg = () =>
  concat(
    new Uint8Array([0xff, 0xd8, 0xff, 0xe0, 0x00, 0x10]),
    "JFIF\0",
    new Uint8Array([0x01, 0x01, 0x00, 0x00, 0x01, 0x00, 0x01, 0x00, 0x00]),
    new Uint8Array([0xff, 0xfe, 0x00, 0x0a]),
    "question",
    new Uint8Array([0xff, 0xd9]),
  );

/** A RIFF/WEBP container with a lossless VP8L chunk header. */
export const webp = () => {
  const body = concat("WEBP", "VP8L", new Uint8Array([0x0a, 0, 0, 0, 0x2f, 0, 0, 0, 0x10, 0x07, 0x10, 0x11, 0x11, 0x88]));
  const size = new Uint8Array(4);
  new DataView(size.buffer).setUint32(0, body.byteLength, true);
  return concat("RIFF", size, body);
};

/** A minimal one-page PDF, optionally with extra dictionary text. */
export const pdf = (extra = "") =>
  ascii(
    `%PDF-1.4\n1 0 obj << /Type /Catalog /Pages 2 0 R ${extra}>> endobj\n2 0 obj << /Type /Pages /Kids [3 0 R] /Count 1 >> endobj\n` +
      `3 0 obj << /Type /Page /Parent 2 0 R /MediaBox [0 0 612 792] >> endobj\ntrailer << /Root 1 0 R >>\n%%EOF\n`,
  );

/** An ELF64 executable header. */
export const elf = () => concat(new Uint8Array([0x7f, 0x45, 0x4c, 0x46, 0x02, 0x01, 0x01, 0x00]), new Uint8Array(56));

/** A PE executable: DOS header whose e_lfanew points at the "PE\0\0" signature. */
export const pe = () => {
  const bytes = new Uint8Array(0x100);
  bytes.set([0x4d, 0x5a]);
  new DataView(bytes.buffer).setUint32(0x3c, 0x80, true);
  bytes.set([0x50, 0x45, 0x00, 0x00, 0x64, 0x86], 0x80);
  return bytes;
};

/** A 64-bit Mach-O header. */
export const macho = () => concat(new Uint8Array([0xcf, 0xfa, 0xed, 0xfe, 0x07, 0x00, 0x00, 0x01]), new Uint8Array(24));

const CRC_TABLE = Array.from({ length: 256 }, (_, n) => {
  let c = n;
  for (let k = 0; k < 8; k++) c = c & 1 ? 0xedb88320 ^ (c >>> 1) : c >>> 1;
  return c >>> 0;
});

function crc32(bytes: Uint8Array): number {
  let crc = 0xffffffff;
  for (const byte of bytes) crc = CRC_TABLE[(crc ^ byte) & 0xff]! ^ (crc >>> 8);
  return (crc ^ 0xffffffff) >>> 0;
}

async function deflateRaw(bytes: Uint8Array): Promise<Uint8Array> {
  const stream = new Blob([bytes]).stream().pipeThrough(new CompressionStream("deflate-raw"));
  return new Uint8Array(await new Response(stream).arrayBuffer());
}

export interface ZipEntrySpec {
  name: string;
  content: Uint8Array | string;
  /** Store instead of deflate. */
  store?: boolean;
  /** Lie in both headers about the uncompressed size (what a bomb's directory says). */
  claimedSize?: number;
  /** Point this entry's central record at another entry's local header (overlapping bomb). */
  shareDataWith?: number;
}

/** A real ZIP archive: local headers, data, central directory and end record. */
export async function zip(entries: ZipEntrySpec[]): Promise<Uint8Array> {
  const locals: Uint8Array[] = [];
  const centrals: Uint8Array[] = [];
  const offsets: number[] = [];
  let offset = 0;
  for (const [i, entry] of entries.entries()) {
    const content = typeof entry.content === "string" ? ascii(entry.content) : entry.content;
    const data = entry.store ? content : await deflateRaw(content);
    const name = ascii(entry.name);
    const size = entry.claimedSize ?? content.byteLength;
    const crc = crc32(content);
    const method = entry.store ? 0 : 8;

    const local = new Uint8Array(30 + name.byteLength);
    const lv = new DataView(local.buffer);
    lv.setUint32(0, 0x04034b50, true);
    lv.setUint16(4, 20, true);
    lv.setUint16(8, method, true);
    lv.setUint32(14, crc, true);
    lv.setUint32(18, data.byteLength, true);
    lv.setUint32(22, size, true);
    lv.setUint16(26, name.byteLength, true);
    local.set(name, 30);

    const sharedOffset = entry.shareDataWith !== undefined ? offsets[entry.shareDataWith]! : offset;
    offsets.push(offset);
    if (entry.shareDataWith === undefined) {
      locals.push(local, data);
      offset += local.byteLength + data.byteLength;
    }

    const central = new Uint8Array(46 + name.byteLength);
    const cv = new DataView(central.buffer);
    cv.setUint32(0, 0x02014b50, true);
    cv.setUint16(4, 20, true);
    cv.setUint16(6, 20, true);
    cv.setUint16(10, method, true);
    cv.setUint32(16, crc, true);
    cv.setUint32(20, data.byteLength, true);
    cv.setUint32(24, size, true);
    cv.setUint16(28, name.byteLength, true);
    cv.setUint32(42, sharedOffset, true);
    central.set(name, 46);
    centrals.push(central);
    void i;
  }
  const directory = concat(...centrals);
  const end = new Uint8Array(22);
  const ev = new DataView(end.buffer);
  ev.setUint32(0, 0x06054b50, true);
  ev.setUint16(8, entries.length, true);
  ev.setUint16(10, entries.length, true);
  ev.setUint32(12, directory.byteLength, true);
  ev.setUint32(16, offset, true);
  return concat(...locals, directory, end);
}

/** Deterministic bytes that look random (xorshift32), for pixel data and appended blobs. */
export function noise(length: number, seed = 0x9e3779b9): Uint8Array {
  const out = new Uint8Array(length);
  let x = seed >>> 0 || 1;
  for (let i = 0; i < length; i++) {
    x ^= x << 13;
    x ^= x >>> 17;
    x ^= x << 5;
    out[i] = x & 0xff;
  }
  return out;
}

const u32be = (value: number) => {
  const out = new Uint8Array(4);
  new DataView(out.buffer).setUint32(0, value);
  return out;
};

/** A PNG chunk: length, type, data and its CRC. */
export function pngChunk(type: string, data: Uint8Array | string): Uint8Array {
  const body = concat(type, data);
  return concat(u32be(body.byteLength - 4), body, u32be(crc32(body)));
}

/** The 1×1 PNG with extra chunks placed before its IEND (and `idat` instead of its own pixels, if given). */
export function pngWith(chunks: Uint8Array[], idat?: Uint8Array): Uint8Array {
  const base = png();
  const ihdrEnd = 8 + 25;
  const iendStart = base.byteLength - 12;
  const pixels = idat ? pngChunk("IDAT", idat) : base.subarray(ihdrEnd, iendStart);
  return concat(base.subarray(0, ihdrEnd), pixels, ...chunks, base.subarray(iendStart));
}

/** A JPEG segment: marker and length-prefixed payload. */
export function jpegSegment(marker: number, payload: Uint8Array | string): Uint8Array {
  const data = typeof payload === "string" ? ascii(payload) : payload;
  return concat(new Uint8Array([0xff, marker, (data.byteLength + 2) >> 8, (data.byteLength + 2) & 0xff]), data);
}

/** A JPEG of SOI, APP0, the given segments, one scan of `scan` entropy-coded bytes (0xFF stuffed), EOI. */
export function jpegWith(segments: Uint8Array[], scan: Uint8Array = new Uint8Array([0x12, 0x34])): Uint8Array {
  const stuffed: number[] = [];
  for (const byte of scan) byte === 0xff ? stuffed.push(0xff, 0x00) : stuffed.push(byte);
  return concat(
    jpeg().subarray(0, 20),
    ...segments,
    jpegSegment(0xda, new Uint8Array([1, 1, 0, 0, 0x3f, 0])),
    Uint8Array.from(stuffed),
    new Uint8Array([0xff, 0xd9]),
  );
}

/** The 1×1 GIF with a comment extension (in 255-byte sub-blocks) before its trailer. */
export function gifWithComment(text: string): Uint8Array {
  const data = ascii(text);
  const blocks: Uint8Array[] = [];
  for (let at = 0; at < data.byteLength; at += 255) {
    const part = data.subarray(at, at + 255);
    blocks.push(concat(new Uint8Array([part.byteLength]), part));
  }
  const base = gif();
  return concat(base.subarray(0, -1), new Uint8Array([0x21, 0xfe]), ...blocks, new Uint8Array([0x00, 0x3b]));
}

/** The WebP with one more chunk (`XMP `, `EXIF`, …) inside its RIFF container. */
export function webpWith(fourCc: string, data: Uint8Array | string): Uint8Array {
  const payload = typeof data === "string" ? ascii(data) : data;
  const size = new Uint8Array(4);
  new DataView(size.buffer).setUint32(0, payload.byteLength, true);
  const chunk = concat(fourCc, size, payload, payload.byteLength % 2 ? new Uint8Array(1) : new Uint8Array(0));
  const base = webp();
  const out = concat(base, chunk);
  new DataView(out.buffer).setUint32(4, out.byteLength - 8, true);
  return out;
}

async function deflateZlib(bytes: Uint8Array): Promise<Uint8Array> {
  const stream = new Blob([bytes]).stream().pipeThrough(new CompressionStream("deflate"));
  return new Uint8Array(await new Response(stream).arrayBuffer());
}

/**
 * A PDF whose catalog points at object 4, which lives compressed in object stream 5 (how PDF 1.5+
 * writers store most objects). `objectText` is object 4's body; `dictionary` adds to the stream's
 * dictionary; `mangle` edits the compressed bytes.
 */
export async function pdfWithObjectStream(
  objectText: string,
  options: { dictionary?: string; filter?: string; mangle?: (data: Uint8Array) => Uint8Array; indirectLength?: boolean } = {},
): Promise<Uint8Array> {
  const header = "4 0 ";
  const plain = ascii(`${header}${objectText}`);
  const deflated = await deflateZlib(plain);
  const data = options.mangle ? options.mangle(deflated) : deflated;
  const filter = options.filter ?? "/FlateDecode";
  const length = options.indirectLength ? "6 0 R" : String(data.byteLength);
  return concat(
    "%PDF-1.7\n1 0 obj << /Type /Catalog /Pages 2 0 R /Names 4 0 R >> endobj\n",
    "2 0 obj << /Type /Pages /Kids [3 0 R] /Count 1 >> endobj\n",
    "3 0 obj << /Type /Page /Parent 2 0 R /MediaBox [0 0 612 792] >> endobj\n",
    `5 0 obj << /Type /ObjStm /N 1 /First ${header.length} /Filter ${filter} /Length ${length} ${options.dictionary ?? ""}>>\nstream\n`,
    data,
    "\nendstream endobj\n",
    options.indirectLength ? `6 0 obj ${data.byteLength} endobj\n` : "",
    "trailer << /Root 1 0 R >>\n%%EOF\n",
  );
}

import { at, ascii } from "./byte-search";

/**
 * PDF active content, judged on PDF syntax rather than on raw text:
 *
 * - A name is a token (`/JavaScript`) in which any byte may be written `#xx` (`/J#61vaScript` is the
 *   same name to a reader), so every name is read up to its delimiter and decoded before it is compared,
 *   everywhere in the file (stream bodies included, so no stream can hide an object a reader reaches by
 *   its offset).
 * - Objects may also live compressed inside object streams, where the raw bytes show nothing. An object
 *   stream is known by its dictionary (`/First`, which a reader needs to parse one, read since the last
 *   `N G obj`); it is inflated (capped) and its names are read too. One that cannot be decoded exactly
 *   (a filter other than Flate, a predictor, encryption, corrupt data, past the caps) cannot be vouched
 *   for: the file is refused as `pdf_uninspectable`.
 *
 * This is a lexer, not a full PDF parser: a dictionary disguised from it (say, a keyword inside a string)
 * is read differently than a reader would. Downloads are served as sandboxed attachments regardless.
 */

/** Names that run code, open or submit elsewhere, or carry payloads when a document is opened or used. */
const PDF_ACTIVE_NAMES = new Set([
  "JavaScript",
  "JS",
  "Launch",
  "OpenAction",
  "AA",
  "URI",
  "SubmitForm",
  "GoToR",
  "GoToE",
  "ImportData",
  "EmbeddedFile",
  "EmbeddedFiles",
  "RichMedia",
  "XFA",
]);

const PDF_LIMITS = {
  /** Bytes inflated from all object streams together. */
  maxInflatedBytes: 32 * 1024 * 1024,
  /** Compressed bytes fed to the inflater, all attempts together. */
  maxInflateInputBytes: 64 * 1024 * 1024,
  maxObjectStreams: 5000,
} as const;

export type PdfFinding = "pdf_active_content" | "pdf_uninspectable";

// PDF whitespace (NUL, tab, LF, FF, CR, space) and delimiters ( ) < > [ ] { } / % end a name.
const BOUNDARY = Uint8Array.from({ length: 256 }, (_, byte) =>
  [0x00, 0x09, 0x0a, 0x0c, 0x0d, 0x20, 0x28, 0x29, 0x3c, 0x3e, 0x5b, 0x5d, 0x7b, 0x7d, 0x2f, 0x25].includes(byte) ? 1 : 0,
);
const WHITESPACE = new Set([0x00, 0x09, 0x0a, 0x0c, 0x0d, 0x20]);
/** Longer than any name we look for, even with every byte written `#xx`. */
const MAX_NAME_BYTES = 48;
const FLATE = new Set(["FlateDecode", "Fl"]);
const FILTERS = new Set([
  ...FLATE,
  "ASCIIHexDecode",
  "AHx",
  "ASCII85Decode",
  "A85",
  "LZWDecode",
  "LZW",
  "RunLengthDecode",
  "RL",
  "CCITTFaxDecode",
  "CCF",
  "DCTDecode",
  "DCT",
  "JBIG2Decode",
  "JPXDecode",
  "Crypt",
]);

const hexValue = (byte: number) =>
  byte >= 0x30 && byte <= 0x39 ? byte - 0x30 : byte >= 0x41 && byte <= 0x46 ? byte - 0x37 : byte >= 0x61 && byte <= 0x66 ? byte - 0x57 : -1;

/** The name whose bytes (after the `/`) are `bytes[from, to)`, with `#xx` escapes decoded. */
function decodeName(bytes: Uint8Array, from: number, to: number): string {
  let name = "";
  for (let i = from; i < to; i++) {
    const high = bytes[i] === 0x23 && i + 2 < to ? hexValue(bytes[i + 1]!) : -1;
    const low = high >= 0 ? hexValue(bytes[i + 2]!) : -1;
    if (low >= 0) {
      name += String.fromCharCode(high * 16 + low);
      i += 2;
    } else {
      name += String.fromCharCode(bytes[i]!);
    }
  }
  return name;
}

/** Offset after the name starting at `slash`, and the name (null when too long to be one we look for). */
function readName(bytes: Uint8Array, slash: number, end: number): { next: number; name: string | null } {
  let j = slash + 1;
  while (j < end && BOUNDARY[bytes[j]!] === 0) j++;
  return { next: j, name: j - slash - 1 <= MAX_NAME_BYTES ? decodeName(bytes, slash + 1, j) : null };
}

function hasActiveName(bytes: Uint8Array): boolean {
  for (let i = 0; i < bytes.byteLength; i++) {
    if (bytes[i] !== 0x2f) continue;
    const { next, name } = readName(bytes, i, bytes.byteLength);
    if (name !== null && PDF_ACTIVE_NAMES.has(name)) return true;
    i = next - 1;
  }
  return false;
}

const OBJ = ascii("obj");
const isDigit = (byte: number | undefined) => byte !== undefined && byte >= 0x30 && byte <= 0x39;

/** `obj` as the keyword of an object header (`12 0 obj`), not as letters inside other text. */
function isObjKeyword(bytes: Uint8Array, i: number): boolean {
  if (!at(bytes, i, OBJ) || !(i + 3 >= bytes.byteLength || BOUNDARY[bytes[i + 3]!] === 1)) return false;
  let j = i - 1;
  if (!WHITESPACE.has(bytes[j]!)) return false;
  while (j >= 0 && WHITESPACE.has(bytes[j]!)) j--;
  if (!isDigit(bytes[j])) return false;
  while (isDigit(bytes[j])) j--;
  if (!WHITESPACE.has(bytes[j]!)) return false;
  while (j >= 0 && WHITESPACE.has(bytes[j]!)) j--;
  return isDigit(bytes[j]);
}
const STREAM = ascii("stream");
const END = ascii("end");

interface ObjectStream {
  bodyStart: number;
  filters: string[];
  predictor: boolean;
  /** A direct `/Length`, when the dictionary gives one. */
  length: number | null;
}

/** A direct integer after `/Length` (`/Length 123`, not `/Length 12 0 R`), or null. */
function directInteger(bytes: Uint8Array, from: number): number | null {
  let i = from;
  while (WHITESPACE.has(bytes[i]!)) i++;
  const start = i;
  while (bytes[i]! >= 0x30 && bytes[i]! <= 0x39 && i - start < 10) i++;
  if (i === start) return null;
  const value = Number(String.fromCharCode(...bytes.subarray(start, i)));
  let j = i;
  while (WHITESPACE.has(bytes[j]!)) j++;
  const generation = j;
  while (bytes[j]! >= 0x30 && bytes[j]! <= 0x39) j++;
  if (j > generation) {
    while (WHITESPACE.has(bytes[j]!)) j++;
    if (bytes[j] === 0x52) return null; // "R": an indirect reference
  }
  return value;
}

/**
 * One pass over the file: active names anywhere in the raw bytes, and the object streams (a stream
 * whose dictionary, read since the last `obj`, holds `/First`), with their filters and length. The
 * pass reads stream bodies too, so a stream cannot hide an object that a reader reaches by offset.
 */
function scan(bytes: Uint8Array): { active: boolean; objectStreams: ObjectStream[]; endstreams: number[] } {
  const n = bytes.byteLength;
  const objectStreams: ObjectStream[] = [];
  const endstreams: number[] = [];
  const fresh = () => ({ first: false, predictor: false, filters: [] as string[], length: null as number | null });
  let dictionary = fresh();
  for (let i = 0; i < n; i++) {
    const byte = bytes[i]!;
    if (byte === 0x2f) {
      const { next, name } = readName(bytes, i, n);
      if (name !== null) {
        if (PDF_ACTIVE_NAMES.has(name)) return { active: true, objectStreams, endstreams };
        if (name === "First") dictionary.first = true;
        else if (name === "Predictor") dictionary.predictor = true;
        else if (name === "Length") dictionary.length = directInteger(bytes, next);
        else if (FILTERS.has(name)) dictionary.filters.push(name);
      }
      i = next - 1;
    } else if (byte === 0x6f && isObjKeyword(bytes, i)) {
      dictionary = fresh();
      i += OBJ.length - 1;
    } else if (byte === 0x73 && at(bytes, i, STREAM)) {
      const after = bytes[i + STREAM.length];
      if (i >= 3 && at(bytes, i - 3, END)) {
        if (after === undefined || BOUNDARY[after] === 1) endstreams.push(i - 3);
      } else if (after === 0x0a || after === 0x0d) {
        // The keyword `stream` is followed by CRLF or LF; the data starts after it.
        const bodyStart = i + STREAM.length + (after === 0x0d && bytes[i + STREAM.length + 1] === 0x0a ? 2 : 1);
        if (dictionary.first)
          objectStreams.push({ bodyStart, filters: dictionary.filters, predictor: dictionary.predictor, length: dictionary.length });
        dictionary = fresh();
      }
      i += STREAM.length - 1;
    }
  }
  return { active: false, objectStreams, endstreams };
}

interface InflateBudget {
  /** Decoded bytes still allowed. */
  output: number;
  /** Compressed bytes still allowed to be read. */
  input: number;
}

const INPUT_CHUNK = 64 * 1024;

/**
 * Inflates zlib data that must end exactly where `input` ends (checksum included); null when it does
 * not, or when it would pass the budget. Input is fed in chunks as the inflater asks for it, so data
 * that fails early costs only what was read.
 */
async function inflateExactly(input: Uint8Array, budget: InflateBudget): Promise<Uint8Array | null> {
  let offset = 0;
  const source = new ReadableStream<Uint8Array>({
    pull(controller) {
      if (offset >= input.byteLength) return controller.close();
      const chunk = input.slice(offset, offset + INPUT_CHUNK);
      offset += chunk.byteLength;
      budget.input -= chunk.byteLength;
      if (budget.input < 0) return controller.error(new Error("inflate input budget spent"));
      controller.enqueue(chunk);
    },
  });
  const reader = source.pipeThrough(new DecompressionStream("deflate")).getReader();
  const chunks: Uint8Array[] = [];
  let total = 0;
  try {
    for (;;) {
      const { done, value } = await reader.read();
      if (done) break;
      total += value.byteLength;
      if (total > budget.output) return null;
      chunks.push(value);
    }
  } catch {
    return null;
  } finally {
    await reader.cancel().catch(() => undefined);
  }
  budget.output -= total;
  const out = new Uint8Array(total);
  let at = 0;
  for (const chunk of chunks) {
    out.set(chunk, at);
    at += chunk.byteLength;
  }
  return out;
}

/** The first index in sorted `values` holding a value ≥ `min`. */
function firstAtLeast(values: number[], min: number): number {
  let low = 0;
  let high = values.length;
  while (low < high) {
    const mid = (low + high) >> 1;
    if (values[mid]! < min) low = mid + 1;
    else high = mid;
  }
  return low;
}

/**
 * Where an object stream's data may end, most exact first: its direct `/Length`, else the next
 * `endstream` less one end-of-line, else less all trailing whitespace. Only an end at which the zlib
 * data ends cleanly (its checksum included) is believed.
 */
function bodyEnds(bytes: Uint8Array, stream: ObjectStream, endstreams: number[]): number[] {
  const ends: number[] = [];
  if (stream.length !== null && stream.bodyStart + stream.length <= bytes.byteLength) ends.push(stream.bodyStart + stream.length);
  const keyword = endstreams[firstAtLeast(endstreams, stream.bodyStart)];
  if (keyword !== undefined) {
    let end = keyword;
    if (bytes[end - 1] === 0x0a) end--;
    if (bytes[end - 1] === 0x0d) end--;
    ends.push(end);
    let trimmed = end;
    while (trimmed > stream.bodyStart && WHITESPACE.has(bytes[trimmed - 1]!)) trimmed--;
    if (trimmed !== end) ends.push(trimmed);
  }
  return ends;
}

/** Active content in a PDF, in its raw syntax or inside its object streams. */
export async function pdfThreats(bytes: Uint8Array): Promise<PdfFinding | null> {
  const { active, objectStreams, endstreams } = scan(bytes);
  if (active) return "pdf_active_content";
  if (objectStreams.length > PDF_LIMITS.maxObjectStreams) return "pdf_uninspectable";
  const budget: InflateBudget = { output: PDF_LIMITS.maxInflatedBytes, input: PDF_LIMITS.maxInflateInputBytes };
  for (const stream of objectStreams) {
    if (stream.filters.length === 0 && !stream.predictor) continue; // uncompressed: the raw pass read it
    if (stream.predictor || stream.filters.length !== 1 || !FLATE.has(stream.filters[0]!)) return "pdf_uninspectable";
    let decoded: Uint8Array | null = null;
    for (const end of bodyEnds(bytes, stream, endstreams)) {
      decoded = await inflateExactly(bytes.subarray(stream.bodyStart, end), budget);
      if (decoded || budget.input < 0) break;
    }
    if (!decoded) return "pdf_uninspectable";
    if (hasActiveName(decoded)) return "pdf_active_content";
  }
  return null;
}

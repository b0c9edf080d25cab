import type { FileKind } from "./file-types";

/**
 * Where an image ends and which of its bytes are image data, from walking its structure: PNG chunks
 * up to IEND, JPEG segments and scans up to EOI, GIF blocks up to the trailer, the RIFF container of
 * a WebP. Bytes after `end` were appended to the image; the ranges in `imageData` (compressed pixels,
 * palettes) are binary by design and need no search for text.
 */
export interface ImageLayout {
  end: number;
  imageData: [number, number][];
}

export type ImageKind = Extract<FileKind, "png" | "jpeg" | "gif" | "webp">;

/** The image's layout, or null when its structure is broken before its end (not a valid image). */
export function imageLayout(kind: ImageKind, bytes: Uint8Array): ImageLayout | null {
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  switch (kind) {
    case "png":
      return pngLayout(bytes, view);
    case "jpeg":
      return jpegLayout(bytes, view);
    case "gif":
      return gifLayout(bytes);
    case "webp":
      return webpLayout(bytes, view);
  }
}

const fourCc = (bytes: Uint8Array, at: number) => String.fromCharCode(bytes[at]!, bytes[at + 1]!, bytes[at + 2]!, bytes[at + 3]!);

/** Chunks of length, type, data and CRC after the 8-byte signature; IHDR first, IEND last. */
function pngLayout(bytes: Uint8Array, view: DataView): ImageLayout | null {
  const imageData: [number, number][] = [];
  let at = 8;
  while (at + 12 <= bytes.byteLength) {
    const length = view.getUint32(at);
    const type = fourCc(bytes, at + 4);
    const data = at + 8;
    const next = data + length + 4;
    if (length > 0x7fffffff || next > bytes.byteLength || (at === 8 && type !== "IHDR")) return null;
    if (type === "IDAT" || type === "fdAT" || type === "PLTE") imageData.push([data, data + length]);
    at = next;
    if (type === "IEND") return { end: at, imageData };
  }
  return null;
}

/**
 * Marker segments (each with its length) after SOI; after a scan header (SOS), entropy-coded data
 * runs until a marker other than a restart marker or a stuffed 0x00. Progressive images repeat
 * tables and scans. A scan that runs to the end of the file without EOI is accepted (some encoders
 * omit it); then nothing is appended.
 */
function jpegLayout(bytes: Uint8Array, view: DataView): ImageLayout | null {
  const imageData: [number, number][] = [];
  const n = bytes.byteLength;
  let at = 2;
  for (;;) {
    if (at >= n || bytes[at] !== 0xff) return null;
    while (at < n && bytes[at] === 0xff) at++;
    if (at >= n) return null;
    const marker = bytes[at++]!;
    if (marker === 0xd9) return { end: at, imageData };
    if ((marker >= 0xd0 && marker <= 0xd7) || marker === 0x01) continue;
    if (marker === 0x00 || marker === 0xd8 || at + 2 > n) return null;
    const length = view.getUint16(at);
    if (length < 2 || at + length > n) return null;
    at += length;
    if (marker !== 0xda) continue;
    const scan = at;
    while (at < n - 1 && !(bytes[at] === 0xff && bytes[at + 1] !== 0x00 && (bytes[at + 1]! < 0xd0 || bytes[at + 1]! > 0xd7))) at++;
    if (at >= n - 1) {
      imageData.push([scan, n]);
      return { end: n, imageData };
    }
    imageData.push([scan, at]);
  }
}

/** Header, screen descriptor and colour table, then extension and image blocks of sub-blocks up to the trailer (0x3B). */
function gifLayout(bytes: Uint8Array): ImageLayout | null {
  const n = bytes.byteLength;
  if (n < 13) return null;
  const imageData: [number, number][] = [];
  const colourTable = (flags: number, at: number) => {
    const size = flags & 0x80 ? 3 * (1 << ((flags & 0x07) + 1)) : 0;
    if (size > 0) imageData.push([at, at + size]);
    return at + size;
  };
  /** Offset after a run of sub-blocks (each a size byte and its data) ended by a zero size, or -1. */
  const subBlocks = (at: number) => {
    while (at < n) {
      const size = bytes[at++]!;
      if (size === 0) return at;
      at += size;
    }
    return -1;
  };
  let at = colourTable(bytes[10]!, 13);
  for (;;) {
    if (at >= n) return null;
    const block = bytes[at]!;
    if (block === 0x3b) return { end: at + 1, imageData };
    if (block === 0x21) {
      at = subBlocks(at + 2);
    } else if (block === 0x2c) {
      if (at + 10 > n) return null;
      const data = colourTable(bytes[at + 9]!, at + 10) + 1; // + the LZW minimum code size
      at = subBlocks(data);
      if (at > 0) imageData.push([data, at]);
    } else {
      return null;
    }
    if (at < 0) return null;
  }
}

const WEBP_IMAGE_CHUNKS = new Set(["VP8 ", "VP8L", "ALPH", "ANMF"]);

/** The RIFF container says its own size; inside it, chunks of four-cc, size and (even-padded) data. */
function webpLayout(bytes: Uint8Array, view: DataView): ImageLayout | null {
  if (bytes.byteLength < 12) return null;
  const end = 8 + view.getUint32(4, true);
  if (end > bytes.byteLength || end < 12) return null;
  const imageData: [number, number][] = [];
  let at = 12;
  while (at + 8 <= end) {
    const size = view.getUint32(at + 4, true);
    const data = at + 8;
    if (data + size > end) return null;
    if (WEBP_IMAGE_CHUNKS.has(fourCc(bytes, at))) imageData.push([data, data + size]);
    at = data + size + (size & 1);
  }
  return { end, imageData };
}

/**
 * The file types an upload may be, recognised by content (magic bytes), not by name. A file is
 * accepted only when its extension, its declared Content-Type and its content all name one type.
 */
import { ascii, at } from "./byte-search";
import { imageLayout, type ImageKind } from "./image-structure";

export type FileKind = "png" | "jpeg" | "gif" | "webp" | "pdf" | "zip" | "json" | "csv" | "txt";

export interface FileType {
  kind: FileKind;
  /** The Content-Type stored and served. */
  contentType: string;
  /** Content-Types a client may declare for it (browsers and tools differ). */
  declaredTypes: readonly string[];
  extensions: readonly string[];
  category: "image" | "document" | "archive" | "text";
}

export const FILE_TYPES: Record<FileKind, FileType> = {
  png: { kind: "png", contentType: "image/png", declaredTypes: ["image/png"], extensions: ["png"], category: "image" },
  jpeg: {
    kind: "jpeg",
    contentType: "image/jpeg",
    declaredTypes: ["image/jpeg", "image/pjpeg"],
    extensions: ["jpg", "jpeg"],
    category: "image",
  },
  gif: { kind: "gif", contentType: "image/gif", declaredTypes: ["image/gif"], extensions: ["gif"], category: "image" },
  webp: { kind: "webp", contentType: "image/webp", declaredTypes: ["image/webp"], extensions: ["webp"], category: "image" },
  pdf: { kind: "pdf", contentType: "application/pdf", declaredTypes: ["application/pdf"], extensions: ["pdf"], category: "document" },
  zip: {
    kind: "zip",
    contentType: "application/zip",
    declaredTypes: ["application/zip", "application/x-zip-compressed", "application/x-zip"],
    extensions: ["zip"],
    category: "archive",
  },
  json: {
    kind: "json",
    contentType: "application/json",
    declaredTypes: ["application/json", "text/json"],
    extensions: ["json"],
    category: "text",
  },
  csv: {
    kind: "csv",
    contentType: "text/csv",
    declaredTypes: ["text/csv", "application/csv", "text/comma-separated-values", "application/vnd.ms-excel"],
    extensions: ["csv"],
    category: "text",
  },
  txt: { kind: "txt", contentType: "text/plain", declaredTypes: ["text/plain"], extensions: ["txt"], category: "text" },
};

const BY_EXTENSION = new Map<string, FileType>(
  Object.values(FILE_TYPES).flatMap((type) => type.extensions.map((extension) => [extension, type] as const)),
);

/** The allowed type for a (lower-case) extension, if any. */
export function typeForExtension(extension: string): FileType | undefined {
  return BY_EXTENSION.get(extension);
}

export const ALLOWED_EXTENSIONS = [...BY_EXTENSION.keys()];

const PNG = [0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a];
const JPEG = [0xff, 0xd8, 0xff];
const GIF87 = ascii("GIF87a");
const GIF89 = ascii("GIF89a");
const RIFF = ascii("RIFF");
const WEBP = ascii("WEBP");
const PDF = ascii("%PDF-");
const ZIP_LOCAL = [0x50, 0x4b, 0x03, 0x04];
const ZIP_EMPTY = [0x50, 0x4b, 0x05, 0x06];

/** Valid UTF-8 with no NUL or other binary control bytes (tab, newline, carriage return and form feed are text). */
function isText(bytes: Uint8Array): boolean {
  for (const byte of bytes) {
    if (byte < 0x20 && byte !== 0x09 && byte !== 0x0a && byte !== 0x0d && byte !== 0x0c) return false;
    if (byte === 0x7f) return false;
  }
  try {
    new TextDecoder("utf-8", { fatal: true, ignoreBOM: false }).decode(bytes);
    return true;
  } catch {
    return false;
  }
}

/** An image is its type only if its structure can be walked to its end (see image-structure.ts). */
function wholeImage(kind: ImageKind, bytes: Uint8Array): FileType | null {
  return imageLayout(kind, bytes) ? FILE_TYPES[kind] : null;
}

/**
 * What the content really is, from its first bytes and, for images, their structure (binary
 * formats) or from being text. For text, the extension decides between txt, csv and json (all three
 * are plain text), but JSON must parse. Returns null when the content is none of the allowed types.
 */
export function sniffFileType(bytes: Uint8Array, extensionType: FileType | undefined): FileType | null {
  if (at(bytes, 0, PNG)) return wholeImage("png", bytes);
  if (at(bytes, 0, JPEG)) return wholeImage("jpeg", bytes);
  if (at(bytes, 0, GIF87) || at(bytes, 0, GIF89)) return wholeImage("gif", bytes);
  if (at(bytes, 0, RIFF) && at(bytes, 8, WEBP)) return wholeImage("webp", bytes);
  if (at(bytes, 0, PDF)) return FILE_TYPES.pdf;
  if (at(bytes, 0, ZIP_LOCAL) || at(bytes, 0, ZIP_EMPTY)) return FILE_TYPES.zip;
  if (!isText(bytes)) return null;
  const textKind = extensionType?.category === "text" ? extensionType.kind : "txt";
  if (textKind === "json") {
    try {
      JSON.parse(new TextDecoder().decode(bytes));
    } catch {
      return null;
    }
  }
  return FILE_TYPES[textKind];
}

/** The media type without parameters, lower-cased (`Text/CSV; charset=utf-8` → `text/csv`). */
export function bareMediaType(value: string | undefined | null): string {
  return (value ?? "").split(";")[0]!.trim().toLowerCase();
}

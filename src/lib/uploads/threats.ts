import { typeForExtension, type FileType } from "./file-types";
import { inflatedSize, readZipDirectory, ZipFormatError } from "./zip";

/**
 * Content that is dangerous whatever the file is called: executables, markup or script hidden in an
 * image or PDF, disguised names, archives built to explode. Each finding is a stable reason code an
 * operator can read in the SecurityEvent.
 */
export type ThreatReason =
  | "executable_pe"
  | "executable_elf"
  | "executable_macho"
  | "executable_wasm"
  | "shebang_script"
  | "double_extension"
  | "deceptive_filename"
  | "embedded_markup"
  | "pdf_active_content"
  | "csv_formula_injection"
  | "archive_too_many_entries"
  | "archive_expands_too_far"
  | "archive_compression_ratio"
  | "archive_size_mismatch"
  | "archive_overlapping_entries"
  | "archive_nested"
  | "archive_path_traversal"
  | "archive_dangerous_entry"
  | "archive_encrypted"
  | "archive_malformed";

/** Limits for archives: what a question import could need, and far from what a bomb claims. */
export const ARCHIVE_LIMITS = {
  maxEntries: 1000,
  maxExpandedBytes: 100 * 1024 * 1024,
  /** Ratio judged only for entries that expand past `ratioFloorBytes` (tiny files compress oddly). */
  maxRatio: 100,
  ratioFloorBytes: 1024 * 1024,
} as const;

/** Extensions that run code somewhere (server, desktop or browser); never acceptable inside a name or archive. */
export const DANGEROUS_EXTENSIONS = new Set([
  "exe", "dll", "com", "bat", "cmd", "scr", "pif", "msi", "msp", "cpl", "sys", "drv", "ocx", "lnk", "reg", "hta",
  "vbs", "vbe", "js", "jse", "mjs", "ws", "wsf", "wsh", "ps1", "psm1", "sh", "bash", "zsh", "csh", "ksh", "command",
  "php", "php3", "php4", "php5", "php7", "phtml", "phar", "pht", "asp", "aspx", "ascx", "ashx", "asmx", "jsp", "jspx",
  "cgi", "pl", "py", "pyc", "rb", "jar", "war", "class", "elf", "bin", "run", "app", "dmg", "pkg", "deb", "rpm", "apk",
  "html", "htm", "xhtml", "shtml", "svg", "svgz", "xml", "xsl", "swf", "htaccess", "wasm",
]);

const ARCHIVE_EXTENSIONS = new Set(["zip", "gz", "tgz", "tar", "7z", "rar", "bz2", "xz", "zst", "cab", "iso", "jar", "war"]);

const at = (bytes: Uint8Array, offset: number, signature: readonly number[]) =>
  bytes.byteLength >= offset + signature.length && signature.every((byte, i) => bytes[offset + i] === byte);

const ascii = (text: string) => [...text].map((ch) => ch.charCodeAt(0));


/** ASCII lower-casing as a table: cheaper than a branch per byte on a 10 MB file. */
const LOWER = Uint8Array.from({ length: 256 }, (_, byte) => (byte >= 0x41 && byte <= 0x5a ? byte | 0x20 : byte));

/**
 * Whether any of `needles` (ASCII, at least two characters, matched case-insensitively) occurs in
 * `bytes[from, to)`. One pass with two table lookups per byte (first byte, then first pair) before any
 * comparison, so the cost stays linear even for a file made entirely of `<`.
 */
export function containsAscii(bytes: Uint8Array, needles: string | readonly string[], from = 0, to = bytes.byteLength): boolean {
  const firstBytes = new Uint8Array(256);
  const pairGroup = new Uint8Array(65536); // pair → 1 + index into groups
  const groups: number[][][] = [];
  for (const needle of typeof needles === "string" ? [needles] : needles) {
    const codes = ascii(needle.toLowerCase());
    if (codes.length < 2) throw new Error(`containsAscii: needle "${needle}" is shorter than two characters`);
    for (let byte = 0; byte < 256; byte++) if (LOWER[byte] === codes[0]) firstBytes[byte] = 1;
    const key = (codes[0]! << 8) | codes[1]!;
    if (pairGroup[key] === 0) {
      groups.push([]);
      pairGroup[key] = groups.length;
    }
    groups[pairGroup[key]! - 1]!.push(codes);
  }
  const end = Math.min(to, bytes.byteLength);
  for (let i = from; i < end - 1; i++) {
    const byte = bytes[i]!;
    if (firstBytes[byte] === 0) continue;
    const group = pairGroup[(LOWER[byte]! << 8) | LOWER[bytes[i + 1]!]!]!;
    if (group === 0) continue;
    for (const codes of groups[group - 1]!) {
      if (i + codes.length > end) continue;
      let j = 2;
      while (j < codes.length && LOWER[bytes[i + j]!] === codes[j]) j++;
      if (j === codes.length) return true;
    }
  }
  return false;
}

/** Executable formats, by their headers. */
export function executableSignature(bytes: Uint8Array): ThreatReason | null {
  if (at(bytes, 0, [0x4d, 0x5a])) {
    // "MZ" alone could start a text file; a PE header where e_lfanew points, or the DOS stub, could not.
    if (bytes.byteLength >= 0x40) {
      const peOffset = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength).getUint32(0x3c, true);
      if (at(bytes, peOffset, [0x50, 0x45, 0x00, 0x00])) return "executable_pe";
    }
    if (containsAscii(bytes, "This program cannot be run in DOS mode", 0, 1024)) return "executable_pe";
  }
  if (at(bytes, 0, [0x7f, 0x45, 0x4c, 0x46]) && (bytes[4] === 1 || bytes[4] === 2)) return "executable_elf";
  for (const magic of [
    [0xfe, 0xed, 0xfa, 0xce],
    [0xfe, 0xed, 0xfa, 0xcf],
    [0xce, 0xfa, 0xed, 0xfe],
    [0xcf, 0xfa, 0xed, 0xfe],
    [0xca, 0xfe, 0xba, 0xbe], // universal Mach-O binary, and Java class files
  ]) {
    if (at(bytes, 0, magic)) return "executable_macho";
  }
  if (at(bytes, 0, [0x00, 0x61, 0x73, 0x6d])) return "executable_wasm";
  const skipBom = at(bytes, 0, [0xef, 0xbb, 0xbf]) ? 3 : 0;
  if (at(bytes, skipBom, [0x23, 0x21])) {
    let i = skipBom + 2;
    while (bytes[i] === 0x20 || bytes[i] === 0x09) i++;
    if (bytes[i] === 0x2f) return "shebang_script";
  }
  return null;
}

/**
 * Names built to deceive: a code extension hidden before the last one (`x.php.png`, `x.exe.jpg`,
 * which misconfigured servers and people still run), and control or bidirectional-override
 * characters (`x\u202Egnp.exe` shows as `xexe.png`).
 */
export function filenameThreats(filename: string): ThreatReason[] {
  const reasons: ThreatReason[] = [];
  if (/[\u0000-\u001f\u007f\u200e\u200f\u202a-\u202e\u2066-\u2069]/.test(filename)) reasons.push("deceptive_filename");
  const parts = filename.toLowerCase().split(".");
  if (parts.slice(1, -1).some((part) => DANGEROUS_EXTENSIONS.has(part.trim()))) reasons.push("double_extension");
  return reasons;
}

/** Markup and server-side code that turn an image or PDF into an HTML/PHP polyglot. */
const MARKUP_MARKERS = ["<script", "<html", "<?php", "<iframe", "<body", "<svg ", "<svg>", "<svg\n", "<svg/", "javascript:", "<object", "<embed"];

function containsMarkup(bytes: Uint8Array): boolean {
  return containsAscii(bytes, MARKUP_MARKERS);
}

/** PDF names that run code or carry payloads when the document is opened. */
function pdfActiveContent(bytes: Uint8Array): boolean {
  return containsAscii(bytes, ["/JavaScript", "/JS ", "/JS(", "/JS<", "/JS/", "/JS\n", "/JS\r", "/Launch", "/EmbeddedFile", "/RichMedia"]);
}

const FORMULA_PAYLOAD = /\|\s{0,10}['"]|\bcmd(?:\.exe)?\b|\bpowershell\b|\bmshta\b|\bdde(?:auto)?\b/i;
const FORMULA_START = new Set(["=", "+", "-", "@"]);

/**
 * Spreadsheet formulas that launch programs through DDE when a CSV is opened (`=cmd|' /C calc'!A0`).
 * Judged cell by cell (split on `,`, `;`, tab and newline), looking at most 300 characters into a
 * cell that starts like a formula: linear in the file, however it is built.
 */
function csvFormulaInjection(bytes: Uint8Array): boolean {
  const text = new TextDecoder().decode(bytes);
  let cellStart = 0;
  for (let i = 0; i <= text.length; i++) {
    const ch = text[i];
    if (i < text.length && ch !== "," && ch !== ";" && ch !== "\t" && ch !== "\n" && ch !== "\r") continue;
    let at = cellStart;
    while (at < i && (text[at] === " " || text[at] === '"')) at++;
    if (at < i && FORMULA_START.has(text[at]!) && FORMULA_PAYLOAD.test(text.slice(at, Math.min(i, at + 300)))) return true;
    cellStart = i + 1;
  }
  return false;
}

async function archiveThreats(bytes: Uint8Array): Promise<ThreatReason[]> {
  const reasons = new Set<ThreatReason>();
  let directory;
  try {
    directory = readZipDirectory(bytes, ARCHIVE_LIMITS.maxEntries);
  } catch (error) {
    if (error instanceof ZipFormatError) return ["archive_malformed"];
    throw error;
  }
  if (directory.zip64) return ["archive_expands_too_far"];
  if (directory.totalEntries > ARCHIVE_LIMITS.maxEntries) return ["archive_too_many_entries"];

  let declaredTotal = 0;
  for (const entry of directory.entries) {
    declaredTotal += entry.uncompressedSize;
    const name = entry.name.replaceAll("\\", "/");
    if (name.startsWith("/") || /^[a-z]:/i.test(name) || name.split("/").includes("..")) reasons.add("archive_path_traversal");
    const extension = name.toLowerCase().split("/").pop()!.split(".").slice(1);
    if (extension.some((part) => DANGEROUS_EXTENSIONS.has(part))) reasons.add("archive_dangerous_entry");
    if (extension.length > 0 && ARCHIVE_EXTENSIONS.has(extension.at(-1)!)) reasons.add("archive_nested");
    if (entry.encrypted) reasons.add("archive_encrypted");
    if (
      entry.uncompressedSize > ARCHIVE_LIMITS.ratioFloorBytes &&
      entry.uncompressedSize > ARCHIVE_LIMITS.maxRatio * Math.max(entry.compressedSize, 1)
    ) {
      reasons.add("archive_compression_ratio");
    }
  }
  if (declaredTotal > ARCHIVE_LIMITS.maxExpandedBytes) reasons.add("archive_expands_too_far");
  if (reasons.size > 0) return [...reasons];

  // Overlapping entries (several names sharing one compressed body) are how non-recursive bombs multiply.
  const byOffset = [...directory.entries].sort((a, b) => a.localHeaderOffset - b.localHeaderOffset);
  for (let i = 1; i < byOffset.length; i++) {
    const previous = byOffset[i - 1]!;
    if (byOffset[i]!.localHeaderOffset < previous.localHeaderOffset + 30 + previous.compressedSize) return ["archive_overlapping_entries"];
  }

  // The directory's sizes are the archive's own claim; inflate each entry (capped) to check them.
  let remaining = ARCHIVE_LIMITS.maxExpandedBytes;
  for (const entry of directory.entries) {
    if (entry.method !== 0 && entry.method !== 8) return ["archive_malformed"];
    let actual: number;
    try {
      actual = await inflatedSize(bytes, entry, Math.min(entry.uncompressedSize, remaining));
    } catch (error) {
      if (error instanceof ZipFormatError) return ["archive_malformed"];
      throw error;
    }
    if (actual !== entry.uncompressedSize) return ["archive_size_mismatch"];
    remaining -= actual;
  }
  return [];
}

/**
 * Dangers visible before the type is known: a deceptive name, an executable under any name, markup
 * under an image or PDF name.
 */
export function universalThreats(filename: string, bytes: Uint8Array): ThreatReason[] {
  const reasons = filenameThreats(filename);
  const executable = executableSignature(bytes);
  if (executable) reasons.push(executable);
  // Markup under an image or PDF name is an attack whether or not the rest is a real image: it is
  // what content-sniffing XSS and HTML/image polyglots rely on.
  const named = typeForExtension(filename.slice(filename.lastIndexOf(".") + 1).toLowerCase());
  if (named && (named.category === "image" || named.kind === "pdf") && containsMarkup(bytes)) reasons.push("embedded_markup");
  return reasons;
}

/**
 * Dangers specific to the verified type (one that agrees with the name, so markup inside images and
 * PDFs was already judged by `universalThreats`): PDF actions, CSV formulas that launch programs, and
 * archives that explode or smuggle files.
 */
export async function contentThreats(type: FileType, bytes: Uint8Array): Promise<ThreatReason[]> {
  const reasons: ThreatReason[] = [];
  if (type.kind === "pdf" && pdfActiveContent(bytes)) reasons.push("pdf_active_content");
  if (type.kind === "csv" && csvFormulaInjection(bytes)) reasons.push("csv_formula_injection");
  if (type.kind === "zip") reasons.push(...(await archiveThreats(bytes)));
  return reasons;
}

import { ascii, at, containsAscii } from "./byte-search";
import { typeForExtension, type FileType } from "./file-types";
import { imageLayout, type ImageKind } from "./image-structure";
import { containsHtmlElement, containsPolyglotMarker } from "./markup";
import { pdfThreats } from "./pdf";
import { inflatedSize, readZipDirectory, type ZipDirectory, ZipFormatError } from "./zip";

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
  | "appended_archive"
  | "appended_executable"
  | "appended_markup"
  | "pdf_active_content"
  | "pdf_uninspectable"
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
const DANGEROUS_EXTENSIONS = new Set([
  "exe",
  "dll",
  "com",
  "bat",
  "cmd",
  "scr",
  "pif",
  "msi",
  "msp",
  "cpl",
  "sys",
  "drv",
  "ocx",
  "lnk",
  "reg",
  "hta",
  "vbs",
  "vbe",
  "js",
  "jse",
  "mjs",
  "ws",
  "wsf",
  "wsh",
  "ps1",
  "psm1",
  "sh",
  "bash",
  "zsh",
  "csh",
  "ksh",
  "command",
  "php",
  "php3",
  "php4",
  "php5",
  "php7",
  "phtml",
  "phar",
  "pht",
  "asp",
  "aspx",
  "ascx",
  "ashx",
  "asmx",
  "jsp",
  "jspx",
  "cgi",
  "pl",
  "py",
  "pyc",
  "rb",
  "jar",
  "war",
  "class",
  "elf",
  "bin",
  "run",
  "app",
  "dmg",
  "pkg",
  "deb",
  "rpm",
  "apk",
  "html",
  "htm",
  "xhtml",
  "shtml",
  "svg",
  "svgz",
  "xml",
  "xsl",
  "swf",
  "htaccess",
  "wasm",
]);

const ARCHIVE_EXTENSIONS = new Set(["zip", "gz", "tgz", "tar", "7z", "rar", "bz2", "xz", "zst", "cab", "iso", "jar", "war"]);

const MZ = [0x4d, 0x5a];
const PE_SIGNATURE = [0x50, 0x45, 0x00, 0x00];
const DOS_STUB = "This program cannot be run in DOS mode";
const ELF = [0x7f, 0x45, 0x4c, 0x46];
const MACHO_MAGICS = [
  [0xfe, 0xed, 0xfa, 0xce],
  [0xfe, 0xed, 0xfa, 0xcf],
  [0xce, 0xfa, 0xed, 0xfe],
  [0xcf, 0xfa, 0xed, 0xfe],
  [0xca, 0xfe, 0xba, 0xbe], // universal Mach-O binary, and Java class files
];
const WASM = [0x00, 0x61, 0x73, 0x6d];
const EXECUTABLE_FIRST_BYTES = new Set([MZ, ELF, WASM, ...MACHO_MAGICS].map((signature) => signature[0]!));

/** A binary executable's header starting at `offset`; constant work, so it can be asked of every byte. */
function executableAt(bytes: Uint8Array, offset: number): ThreatReason | null {
  if (!EXECUTABLE_FIRST_BYTES.has(bytes[offset]!)) return null;
  // "MZ" alone could start a text file; a PE header where e_lfanew points could not.
  if (at(bytes, offset, MZ) && offset + 0x40 <= bytes.byteLength) {
    const peOffset = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength).getUint32(offset + 0x3c, true);
    if (at(bytes, offset + peOffset, PE_SIGNATURE)) return "executable_pe";
  }
  if (at(bytes, offset, ELF) && (bytes[offset + 4] === 1 || bytes[offset + 4] === 2)) return "executable_elf";
  if (MACHO_MAGICS.some((magic) => at(bytes, offset, magic))) return "executable_macho";
  if (at(bytes, offset, WASM)) return "executable_wasm";
  return null;
}

/** `#!` and an absolute interpreter path at `offset` (spaces allowed between). */
function shebangAt(bytes: Uint8Array, offset: number): boolean {
  if (!at(bytes, offset, [0x23, 0x21])) return false;
  let i = offset + 2;
  while (bytes[i] === 0x20 || bytes[i] === 0x09) i++;
  return bytes[i] === 0x2f;
}

/** Executable formats, by their headers at the start of the file. */
function executableSignature(bytes: Uint8Array): ThreatReason | null {
  const found = executableAt(bytes, 0);
  if (found) return found;
  if (at(bytes, 0, MZ) && containsAscii(bytes, DOS_STUB, 0, 1024)) return "executable_pe";
  return shebangAt(bytes, at(bytes, 0, [0xef, 0xbb, 0xbf]) ? 3 : 0) ? "shebang_script" : null;
}

/**
 * Names built to deceive: a code extension hidden before the last one (`x.php.png`, `x.exe.jpg`,
 * which misconfigured servers and people still run), and control or bidirectional-override
 * characters (`x\u202Egnp.exe` shows as `xexe.png`).
 */
function filenameThreats(filename: string): ThreatReason[] {
  const reasons: ThreatReason[] = [];
  if (/[\u0000-\u001f\u007f\u200e\u200f\u202a-\u202e\u2066-\u2069]/.test(filename)) reasons.push("deceptive_filename");
  const parts = filename.toLowerCase().split(".");
  if (parts.slice(1, -1).some((part) => DANGEROUS_EXTENSIONS.has(part.trim()))) reasons.push("double_extension");
  return reasons;
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
  let directory: ZipDirectory;
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
  if (named && (named.category === "image" || named.kind === "pdf") && containsPolyglotMarker(bytes)) reasons.push("embedded_markup");
  return reasons;
}

/**
 * Archives that tools find anywhere in a file (ZIP and RAR readers look for their records, not for
 * the file's start), and compressed formats that must start where the appended data starts.
 */
const EMBEDDED_ARCHIVES = [
  "PK\u0003\u0004",
  "PK\u0005\u0006",
  "Rar!\u001a\u0007",
  "7z\u00bc\u00af\u0027\u001c",
  "\u00fd7zXZ\u0000",
  "MSCF\u0000\u0000\u0000\u0000",
  "\u0028\u00b5\u002f\u00fd",
  "LZIP",
];
const LEADING_ARCHIVES = [[0x1f, 0x8b], ascii("BZh")];

/**
 * Dangers in what follows an image's own end (PNG IEND, JPEG EOI, GIF trailer, the RIFF size): an
 * archive or an executable anywhere in it, or markup. Harmless appended data (a phone's motion-photo
 * video, padding) is left alone.
 */
function appendedThreats(bytes: Uint8Array, from: number): ThreatReason[] {
  const reasons: ThreatReason[] = [];
  let start = from;
  while (start < bytes.byteLength && (bytes[start] === 0x00 || bytes[start] === 0x0a || bytes[start] === 0x0d || bytes[start] === 0x20))
    start++;
  if (
    containsAscii(bytes, EMBEDDED_ARCHIVES, from) ||
    LEADING_ARCHIVES.some((signature) => at(bytes, start, signature)) ||
    at(bytes, start + 257, ascii("ustar"))
  ) {
    reasons.push("appended_archive");
  }
  let executable = containsAscii(bytes, DOS_STUB, from) || shebangAt(bytes, start);
  for (let i = from; i < bytes.byteLength && !executable; i++) executable = executableAt(bytes, i) !== null;
  if (executable) reasons.push("appended_executable");
  if (containsHtmlElement(bytes, from)) reasons.push("appended_markup");
  return reasons;
}

/**
 * Markup in an image's own bytes outside its compressed pixel data and palettes (text chunks,
 * comments, EXIF and XMP, unknown chunks), then whatever was appended after its end.
 */
function imageThreats(kind: ImageKind, bytes: Uint8Array): ThreatReason[] {
  const layout = imageLayout(kind, bytes);
  if (!layout) return [];
  const reasons: ThreatReason[] = [];
  let from = 0;
  for (const [start, end] of [...layout.imageData, [layout.end, layout.end] as [number, number]]) {
    if (start > from && containsHtmlElement(bytes, from, start)) {
      reasons.push("embedded_markup");
      break;
    }
    from = Math.max(from, end);
  }
  if (layout.end < bytes.byteLength) reasons.push(...appendedThreats(bytes, layout.end));
  return reasons;
}

/**
 * Dangers specific to the verified type (one that agrees with the name; markers long enough to judge
 * a whole file were already looked for by `universalThreats`): markup in an image's text and appended
 * data, PDF actions, CSV formulas that launch programs, and archives that explode or smuggle files.
 */
export async function contentThreats(type: FileType, bytes: Uint8Array): Promise<ThreatReason[]> {
  const reasons: ThreatReason[] = [];
  if (type.category === "image") reasons.push(...imageThreats(type.kind as ImageKind, bytes));
  if (type.kind === "pdf") {
    const finding = await pdfThreats(bytes);
    if (finding) reasons.push(finding);
  }
  if (type.kind === "csv" && csvFormulaInjection(bytes)) reasons.push("csv_formula_injection");
  if (type.kind === "zip") reasons.push(...(await archiveThreats(bytes)));
  return reasons;
}

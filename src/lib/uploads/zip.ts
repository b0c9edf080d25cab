/**
 * Just enough of the ZIP format to judge an archive without extracting it: the central directory
 * (names, methods, declared sizes, where each entry's data lives), then a capped inflation of each
 * entry to catch headers that lie about their size.
 */

export interface ZipEntry {
  name: string;
  method: number;
  compressedSize: number;
  uncompressedSize: number;
  localHeaderOffset: number;
  encrypted: boolean;
}

export class ZipFormatError extends Error {
  override name = "ZipFormatError";
}

const EOCD_SIGNATURE = 0x06054b50;
const CENTRAL_SIGNATURE = 0x02014b50;
const LOCAL_SIGNATURE = 0x04034b50;
const ZIP64_MARKER = 0xffffffff;
const EOCD_MIN = 22;
const MAX_COMMENT = 0xffff;

/** Finds the end-of-central-directory record, searching back over a possible archive comment. */
function findEndOfCentralDirectory(view: DataView): number {
  const last = view.byteLength - EOCD_MIN;
  const first = Math.max(0, last - MAX_COMMENT);
  for (let at = last; at >= first; at--) {
    if (view.getUint32(at, true) === EOCD_SIGNATURE) return at;
  }
  throw new ZipFormatError("no end of central directory record");
}

export interface ZipDirectory {
  /** Entry count claimed by the archive. */
  totalEntries: number;
  /** Entries read (at most `maxEntries`). */
  entries: ZipEntry[];
  /** ZIP64 records: only needed past 4 GB or 65,535 entries. */
  zip64: boolean;
}

/** Reads the central directory, stopping after `maxEntries` entries. */
export function readZipDirectory(bytes: Uint8Array, maxEntries: number): ZipDirectory {
  if (bytes.byteLength < EOCD_MIN) throw new ZipFormatError("too short to be a zip archive");
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const eocd = findEndOfCentralDirectory(view);
  const totalEntries = view.getUint16(eocd + 10, true);
  const directorySize = view.getUint32(eocd + 12, true);
  const directoryOffset = view.getUint32(eocd + 16, true);
  if (totalEntries === 0xffff || directoryOffset === ZIP64_MARKER || directorySize === ZIP64_MARKER) {
    return { totalEntries, entries: [], zip64: true };
  }
  if (directoryOffset + directorySize > eocd) throw new ZipFormatError("central directory out of bounds");

  const decoder = new TextDecoder("utf-8", { fatal: false, ignoreBOM: false });
  const entries: ZipEntry[] = [];
  let at = directoryOffset;
  for (let i = 0; i < Math.min(totalEntries, maxEntries); i++) {
    if (at + 46 > eocd || view.getUint32(at, true) !== CENTRAL_SIGNATURE) throw new ZipFormatError("bad central directory entry");
    const flags = view.getUint16(at + 8, true);
    const nameLength = view.getUint16(at + 28, true);
    const extraLength = view.getUint16(at + 30, true);
    const commentLength = view.getUint16(at + 32, true);
    if (at + 46 + nameLength > eocd) throw new ZipFormatError("entry name out of bounds");
    entries.push({
      name: decoder.decode(bytes.subarray(at + 46, at + 46 + nameLength)),
      method: view.getUint16(at + 10, true),
      compressedSize: view.getUint32(at + 20, true),
      uncompressedSize: view.getUint32(at + 24, true),
      localHeaderOffset: view.getUint32(at + 42, true),
      encrypted: (flags & 1) === 1,
    });
    at += 46 + nameLength + extraLength + commentLength;
  }
  return {
    totalEntries,
    entries,
    zip64: entries.some((entry) => entry.uncompressedSize === ZIP64_MARKER || entry.compressedSize === ZIP64_MARKER),
  };
}

/** Where an entry's compressed data starts, read from its local header. */
function entryDataOffset(bytes: Uint8Array, entry: ZipEntry): number {
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const at = entry.localHeaderOffset;
  if (at + 30 > bytes.byteLength || view.getUint32(at, true) !== LOCAL_SIGNATURE) throw new ZipFormatError("bad local header");
  return at + 30 + view.getUint16(at + 26, true) + view.getUint16(at + 28, true);
}

/**
 * Inflates an entry's data and returns how many bytes came out, reading at most `cap + 1` so a
 * bomb costs no more than the cap. Stored entries (method 0) are their own size.
 */
export async function inflatedSize(bytes: Uint8Array, entry: ZipEntry, cap: number): Promise<number> {
  const start = entryDataOffset(bytes, entry);
  const end = start + entry.compressedSize;
  if (end > bytes.byteLength) throw new ZipFormatError("entry data out of bounds");
  if (entry.method === 0) return entry.compressedSize;
  const stream = new Blob([bytes.subarray(start, end)]).stream().pipeThrough(new DecompressionStream("deflate-raw"));
  const reader = stream.getReader();
  let total = 0;
  try {
    for (;;) {
      const { done, value } = await reader.read();
      if (done) break;
      total += value.byteLength;
      if (total > cap) break;
    }
  } catch {
    throw new ZipFormatError("corrupt deflate data");
  } finally {
    await reader.cancel().catch(() => undefined);
  }
  return total;
}

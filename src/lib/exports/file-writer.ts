/**
 * R2 multipart parts: every part but the last must have the same size, at least 5 MiB. 8 MiB keeps
 * a 100,000-row export to a handful of parts while bounding what the Worker holds at once.
 */
export const PART_BYTES = 8 * 1024 * 1024;

/**
 * An export's file, written to R2 as it is produced. Bytes gather in one buffer of `partBytes`; a file
 * that outgrows it becomes a multipart upload, part by part, so memory stays bounded by one part
 * however large the file. A file that never fills a part is one plain `put`.
 */
export class ExportFileWriter {
  private readonly buffer: Uint8Array;
  private filled = 0;
  private upload: R2MultipartUpload | null = null;
  private readonly parts: R2UploadedPart[] = [];
  private written = 0;
  private closed = false;

  constructor(
    private readonly bucket: R2Bucket,
    readonly key: string,
    private readonly options: { contentType: string; contentDisposition: string; partBytes?: number },
  ) {
    this.buffer = new Uint8Array(options.partBytes ?? PART_BYTES);
  }

  /** Bytes accepted so far. */
  get size(): number {
    return this.written;
  }

  async write(chunk: Uint8Array): Promise<void> {
    if (this.closed) throw new Error("the export file is already closed");
    let offset = 0;
    while (offset < chunk.length) {
      const taken = Math.min(chunk.length - offset, this.buffer.length - this.filled);
      this.buffer.set(chunk.subarray(offset, offset + taken), this.filled);
      this.filled += taken;
      offset += taken;
      if (this.filled === this.buffer.length) await this.uploadPart();
    }
    this.written += chunk.length;
  }

  /** Stores what was written; returns the file's size in bytes. */
  async close(): Promise<number> {
    this.closed = true;
    const httpMetadata = { contentType: this.options.contentType, contentDisposition: this.options.contentDisposition };
    if (!this.upload) {
      await this.bucket.put(this.key, this.buffer.subarray(0, this.filled), { httpMetadata });
      return this.written;
    }
    if (this.filled > 0) await this.uploadPart();
    await this.upload.complete(this.parts);
    return this.written;
  }

  /** Drops whatever was uploaded (a cancelled or failed export leaves nothing behind). */
  async abort(): Promise<void> {
    this.closed = true;
    if (this.upload) await this.upload.abort().catch(() => undefined);
  }

  private async uploadPart(): Promise<void> {
    this.upload ??= await this.bucket.createMultipartUpload(this.key, {
      httpMetadata: { contentType: this.options.contentType, contentDisposition: this.options.contentDisposition },
    });
    // R2 reads the part before the promise settles, so the buffer can be refilled afterwards.
    this.parts.push(await this.upload.uploadPart(this.parts.length + 1, this.buffer.subarray(0, this.filled)));
    this.filled = 0;
  }
}

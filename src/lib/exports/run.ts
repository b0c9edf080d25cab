import type { Database } from "../../db";
import type { Export, Role } from "../../db/schema";
import type { Env } from "../../env";

/** The owner cancelled the export while it ran: the job stops and leaves no file behind. */
export class ExportCancelled extends Error {
  override readonly name = "ExportCancelled";
}

/** Who asked for an export, as the access rules see them (re-read when the job runs). */
export interface Requester {
  id: string;
  role: Role;
}

/** What a kind's writer gets: the data sources, the file's byte sink and a progress reporter. */
export interface ExportRun {
  env: Env;
  db: Database;
  d1: D1Database;
  row: Export;
  requester: Requester;
  /** Appends bytes to the file (awaited: R2 takes a part at a time). */
  write(chunk: Uint8Array): Promise<void>;
  /** `done` of `total` units (rows, questions): shown as the job's progress; throws ExportCancelled once cancelled. */
  progress(done: number, total: number, message?: string): Promise<void>;
}

/** Text to bytes in 64 KiB chunks, so a table of short rows does not become a write per row. */
export class TextOutput {
  private static readonly CHUNK_CHARS = 64 * 1024;
  private readonly encoder = new TextEncoder();
  private pending = "";

  constructor(private readonly sink: (chunk: Uint8Array) => Promise<void>) {}

  async write(text: string): Promise<void> {
    this.pending += text;
    if (this.pending.length >= TextOutput.CHUNK_CHARS) await this.flush();
  }

  async flush(): Promise<void> {
    if (this.pending === "") return;
    const chunk = this.encoder.encode(this.pending);
    this.pending = "";
    await this.sink(chunk);
  }
}

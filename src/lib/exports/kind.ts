import type { z } from "zod";
import type { Database } from "../../db";
import type { ExportFormat, Role } from "../../db/schema";
import type { Scope } from "../auth/scopes";
import type { ExportRun, Requester } from "./run";

/**
 * One kind of export: who may ask for it, in which formats, with which parameters; the object-level
 * check (run when it is requested and again when its job starts); and the writer of its file.
 */
export interface ExportKind<P> {
  summary: string;
  formats: readonly [ExportFormat, ...ExportFormat[]];
  /** Roles that may request it at all; the object-level check narrows further. */
  roles: readonly Role[];
  /** A scope needed beyond `exports:create`, for kinds that expose an admin surface. */
  scope?: Scope;
  params: z.ZodType<P>;
  /**
   * Throws the API error the requester should see (404 for what they may not see, 409 for what is
   * not ready); returns what the file is named after.
   */
  authorize(db: Database, requester: Requester, params: P): Promise<string>;
  /** Writes the file through `run.write`; returns the rows (or pages) written. */
  write(run: ExportRun, params: P): Promise<number>;
}

/** Identity helper that keeps each kind's parameter type checked against its own writer. */
export const defineExportKind = <P>(kind: ExportKind<P>): ExportKind<P> => kind;

// biome-ignore lint/suspicious/noExplicitAny: the catalogue holds kinds of every parameter type; each is checked where it is defined
export type AnyExportKind = ExportKind<any>;

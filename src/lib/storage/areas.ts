import { sql } from "drizzle-orm";
import { dataExports, uploads } from "../../db/schema";
import type { Database } from "../../db";
import { inList } from "../../db/in-list";

/**
 * A part of the R2 bucket owned by one feature: every key it writes starts with `prefix`, and it
 * alone says when an object there is no longer needed. Objects under no declared prefix are never
 * swept, so a feature storing files must declare its area here to have them cleaned up.
 */
export interface FileArea {
  /** Key prefix, ending in "/". */
  prefix: string;
  /** Of these objects (every one already past the sweep's grace period), the keys nothing needs. */
  unneeded(db: Database, objects: R2Object[], now: number): Promise<string[]>;
}

export const UPLOADS_PREFIX = "uploads/";

/** Keys no `uploads` row refers to: one indexed lookup for a whole listing page. */
async function withoutUploadRow(db: Database, objects: R2Object[]): Promise<string[]> {
  const keys = objects.map((object) => object.key);
  const rows = await db
    .select({ key: uploads.key })
    .from(uploads)
    .where(sql`${uploads.key} IN (SELECT value FROM json_each(${JSON.stringify(keys)}))`);
  const referenced = new Set(rows.map((row) => row.key));
  return keys.filter((key) => !referenced.has(key));
}

export const EXPORTS_PREFIX = "exports/";

/** Export files no completed export holds: left by a run that died between its upload and its record. */
async function withoutCompletedExport(db: Database, objects: R2Object[]): Promise<string[]> {
  const keys = objects.map((object) => object.key);
  const rows = await db.select({ key: dataExports.fileKey }).from(dataExports).where(inList(dataExports.fileKey, keys));
  const held = new Set(rows.map((row) => row.key));
  return keys.filter((key) => !held.has(key));
}

/** Every declared area. */
export const FILE_AREAS: FileArea[] = [
  { prefix: UPLOADS_PREFIX, unneeded: withoutUploadRow },
  { prefix: EXPORTS_PREFIX, unneeded: withoutCompletedExport },
];

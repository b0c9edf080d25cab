import type { D1Queryable } from "../../db";

const SOURCES = {
  question: "questions",
  test: "tests",
} as const;

export interface IndexDrift {
  kind: keyof typeof SOURCES;
  /** Live rows in the source table. */
  source: number;
  /** Live documents in the index. */
  indexed: number;
  /** Live rows with no document. */
  missing: number;
  /** Documents older than their row (an update not yet indexed). */
  stale: number;
  /** Live documents whose row is deleted or gone. */
  orphaned: number;
}

/** Compares the index with the tables it is built from: what a reindex would change. */
export async function indexDrift(d1: D1Queryable): Promise<IndexDrift[]> {
  return Promise.all(
    (Object.keys(SOURCES) as (keyof typeof SOURCES)[]).map(async (kind) => {
      const table = SOURCES[kind];
      const row = await d1
        .prepare(
          `SELECT
             (SELECT count(*) FROM ${table} WHERE deleted_at IS NULL) AS source,
             (SELECT count(*) FROM search_documents WHERE kind = ?1 AND deleted = 0) AS indexed,
             (SELECT count(*) FROM ${table} s WHERE s.deleted_at IS NULL
                AND NOT EXISTS (SELECT 1 FROM search_documents d WHERE d.resource_id = s.id AND d.deleted = 0)) AS missing,
             (SELECT count(*) FROM ${table} s JOIN search_documents d ON d.resource_id = s.id
                WHERE s.deleted_at IS NULL AND d.version < s.updated_at) AS stale,
             (SELECT count(*) FROM search_documents d WHERE d.kind = ?1 AND d.deleted = 0
                AND NOT EXISTS (SELECT 1 FROM ${table} s WHERE s.id = d.resource_id AND s.deleted_at IS NULL)) AS orphaned`,
        )
        .bind(kind)
        .first<Omit<IndexDrift, "kind">>();
      return { kind, ...row! };
    }),
  );
}

/** Tombstones every live document whose row is deleted or gone (the last step of a rebuild). */
export async function tombstoneOrphans(d1: D1Queryable, now: number): Promise<number> {
  let changed = 0;
  for (const [kind, table] of Object.entries(SOURCES)) {
    const result = await d1
      .prepare(
        `UPDATE search_documents SET deleted = 1, title = '', body = '', tags = '', version = ?2, indexed_at = ?2
         WHERE kind = ?1 AND deleted = 0 AND NOT EXISTS (SELECT 1 FROM ${table} s WHERE s.id = resource_id AND s.deleted_at IS NULL)`,
      )
      .bind(kind, now)
      .run();
    changed += result.meta.changes;
  }
  return changed;
}

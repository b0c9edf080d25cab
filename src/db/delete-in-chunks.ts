import type { D1Queryable } from "./index";

/** Rows per DELETE: D1 runs one statement at a time, so no single one may hold it for long. */
const DELETE_CHUNK = 5000;
/** Statements per call; what is left waits for the next run. */
const MAX_DELETE_CHUNKS = 200;

/** Rows of `table` matching `where` (SQL over the table's own columns, `?` placeholders). */
export interface DeleteTarget {
  table: string;
  where: string;
}

export type ChunkedDeleteResult = {
  deleted: number;
  /** False when the chunk budget ran out with matching rows left. */
  complete: boolean;
};

/**
 * Retention's one way to delete: `chunk` rows per statement, chosen by the index `where` walks,
 * at most `maxChunks` statements, so even a large backlog never holds the database for long.
 */
export async function deleteInChunks(
  d1: D1Queryable,
  target: DeleteTarget,
  params: unknown[],
  { chunk = DELETE_CHUNK, maxChunks = MAX_DELETE_CHUNKS }: { chunk?: number; maxChunks?: number } = {},
): Promise<ChunkedDeleteResult> {
  // Counted by RETURNING: D1's `changes` also counts the rows foreign-key actions touched.
  const statement = d1.prepare(
    `DELETE FROM ${target.table} WHERE rowid IN (SELECT rowid FROM ${target.table} WHERE ${target.where} LIMIT ?) RETURNING 1`,
  );
  let deleted = 0;
  for (let i = 0; i < maxChunks; i++) {
    const rows = await statement.bind(...params, chunk).raw();
    deleted += rows.length;
    if (rows.length < chunk) return { deleted, complete: true };
  }
  return { deleted, complete: false };
}

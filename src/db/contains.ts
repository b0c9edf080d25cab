import { sql, type SQL, type SQLWrapper } from "drizzle-orm";

/**
 * Whether a column contains a search term, literally and ignoring ASCII case (what `LIKE '%term%'`
 * with escaped wildcards did). Not LIKE: D1 refuses a LIKE pattern over 50 bytes ("LIKE or GLOB pattern
 * too complex"), so a longer search term was a 500; `instr` has no such limit and no wildcards to escape.
 */
export function containsText(column: SQLWrapper, term: string): SQL {
  return sql`instr(lower(${column}), lower(${term})) > 0`;
}

/** The same test as SQL text for hand-written queries, taking the term as one `?` parameter. */
export function containsTextSql(column: string): string {
  return `instr(lower(${column}), lower(?)) > 0`;
}

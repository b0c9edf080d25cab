import { sql, type Column, type SQL } from "drizzle-orm";

/**
 * `column IN (values)` bound as one JSON parameter. D1 allows 100 bound parameters per statement, so
 * `inArray` over a page of 100 ids (plus any other condition) is refused; this stays at one.
 */
export function inList(column: Column | SQL, values: readonly string[]): SQL {
  return sql`${column} in (select value from json_each(${JSON.stringify(values)}))`;
}

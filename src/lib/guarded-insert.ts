import { getTableColumns, is, SQL, sql } from "drizzle-orm";
import type { SQLiteInsertValue, SQLiteTable } from "drizzle-orm/sqlite-core";
import type { Database } from "../db";

/**
 * `INSERT INTO table SELECT <row> WHERE <condition>`: an insert that only lands when the condition
 * holds at the moment it runs. Inside a D1 batch (one serialised transaction) this lets a row — an
 * audit entry, a subscription — follow a conditional UPDATE exactly: place it before the UPDATE with
 * the same condition, and both happen or neither does, with no window for another request between.
 * A value may be SQL (as in `.values()`), computed in the same statement.
 */
export function guardedInsert<T extends SQLiteTable>(db: Database, table: T, row: SQLiteInsertValue<T>, condition: SQL) {
  const values = Object.entries(getTableColumns(table)).map(([key, column]) => {
    const value = (row as Record<string, unknown>)[key];
    if (is(value, SQL)) return value;
    if (value !== undefined) return sql.param(value, column);
    if (column.default !== undefined && column.default !== null) {
      return is(column.default, SQL) ? column.default : sql.param(column.default, column);
    }
    if (column.defaultFn) return sql.param(column.defaultFn(), column);
    return sql`null`;
  });
  return db.insert(table).select(sql`select ${sql.join(values, sql`, `)} where ${condition}`);
}
